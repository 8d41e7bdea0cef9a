using System.Text;
using FastChat.Client;

namespace FastChat.Cli.Commands;

/// <summary>
/// <c>fastchat chat CONTACT</c>: type a line to send it; incoming messages and receipt ticks
/// appear live. Each sent line gets a number; ticks follow as <c>[n] ✓</c> (server has it),
/// <c>[n] ✓✓</c> (delivered) and <c>[n] read</c>. /quit or end of input leaves.
/// </summary>
public static class ChatCommand
{
    public static async Task<int> RunAsync(Profile profile, string contact, TextReader input, TextWriter output)
    {
        var ticks = new TickBoard(contact, line => { lock (output) output.WriteLine(line); });
        void Print(string line) { lock (output) output.WriteLine(line); }

        FastChatClient? clientRef = null;
        var (client, welcome) = await Session.ConnectAsync(profile, c =>
        {
            clientRef = c;
            c.MessageReceived += m =>
            {
                Print($"[{m.ServerTime.ToLocalTime():HH:mm:ss}] {m.From}: {Encoding.UTF8.GetString(m.Payload)}");
                if (m.From == contact) _ = clientRef.MarkReadAsync(m.From, m.MessageId);
            };
            c.ReceiptReceived += ticks.OnReceipt;
            c.Disconnected += (code, reason) => Print($"-- disconnected ({code}: {reason}); reconnecting");
        });
        await using (client)
        {
            Print($"-- chatting with {contact} as {profile.UserName}; {welcome.Queued} waiting; /quit to leave");
            int next = 0;
            string? line;
            while ((line = await input.ReadLineAsync()) is not null)
            {
                if (line == "/quit") break;
                if (line.Length == 0) continue;
                int number = ++next;
                Print($"you [{number}]: {line}");
                _ = SendAsync(client, contact, line, number, ticks, Print);
            }
            // Give outstanding sends a moment to reach ✓ before leaving.
            var until = DateTime.UtcNow.AddSeconds(5);
            while (client.PendingCount > 0 && DateTime.UtcNow < until) await Task.Delay(20);
        }
        return 0;
    }

    private static async Task SendAsync(FastChatClient client, string contact, string line, int number,
        TickBoard ticks, Action<string> print)
    {
        try
        {
            ulong id = await client.SendAsync(contact, Encoding.UTF8.GetBytes(line));
            ticks.OnServerAck(number, id);
        }
        catch (FastChatException ex)
        {
            print($"  [{number}] not sent: {ex.Message}");
        }
    }
}
