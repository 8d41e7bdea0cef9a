using FastChat.Client;

namespace FastChat.Cli.Commands;

/// <summary>
/// The ✓ / ✓✓ / read state of our messages in one chat. Receipts are cumulative and can beat the
/// server's ✓ (the peer may ack before our group commit lands), so the highest receipt seen is
/// kept and applied when the ✓ arrives.
/// </summary>
public sealed class TickBoard(string contact, Action<string> print)
{
    private const int Sent = 1, Delivered = 2, Read = 3;
    private readonly List<(int Number, ulong Id, int Level)> _messages = new();
    private ulong _deliveredUpTo, _readUpTo;

    public void OnServerAck(int number, ulong id)
    {
        lock (_messages)
        {
            int level = id <= _readUpTo ? Read : id <= _deliveredUpTo ? Delivered : Sent;
            _messages.Add((number, id, level));
            print($"  [{number}] {Describe(level)}");
        }
    }

    public void OnReceipt(Receipt receipt)
    {
        // Any of the contact's devices: ✓✓ when the first has it, read when one of them shows it.
        if (receipt.Group is not null || !FastChat.Protocol.Wire.DeviceAddress.TryParse(receipt.Peer, out var user, out _) || user != contact) return; // group receipts are the group view's
        lock (_messages)
        {
            int level = receipt.Kind == ReceiptKind.Read ? Read : Delivered;
            if (level == Read) _readUpTo = Math.Max(_readUpTo, receipt.MessageId);
            _deliveredUpTo = Math.Max(_deliveredUpTo, receipt.MessageId);
            for (int i = 0; i < _messages.Count; i++)
            {
                var (number, id, current) = _messages[i];
                if (id > receipt.MessageId || current >= level) continue;
                _messages[i] = (number, id, level);
                print($"  [{number}] {Describe(level)}");
            }
        }
    }

    private static string Describe(int level) => level switch { Read => "✓✓ read", Delivered => "✓✓", _ => "✓" };
}
