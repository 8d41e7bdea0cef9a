using System.Text;
using FastChat.Client;

namespace FastChat.Cli.Commands;

/// <summary><c>fastchat inbox [--wait S]</c>: print what arrived while offline, then exit.</summary>
public static class InboxCommand
{
    public static async Task<int> RunAsync(Profile profile, TimeSpan wait, TextWriter output)
    {
        var received = new List<IncomingMessage>();
        var receipts = new List<Receipt>();
        var (client, welcome) = await Session.ConnectAsync(profile, c =>
        {
            c.MessageReceived += m => { lock (received) received.Add(m); };
            c.ReceiptReceived += r => { lock (receipts) receipts.Add(r); };
        });
        await using (client)
        {
            // The server said how many entries wait; stop early once they are all in.
            var deadline = DateTime.UtcNow + wait;
            while (DateTime.UtcNow < deadline)
            {
                int count;
                lock (received) lock (receipts) count = received.Count + receipts.Count;
                if (welcome.Queued > 0 && count >= welcome.Queued) break;
                await Task.Delay(50);
            }
        }
        lock (received)
        {
            if (received.Count == 0) output.WriteLine("No new messages.");
            foreach (var m in received)
                output.WriteLine($"[{m.ServerTime.ToLocalTime():yyyy-MM-dd HH:mm:ss}] {m.From}: {Encoding.UTF8.GetString(m.Payload)}");
        }
        lock (receipts)
            foreach (var r in receipts)
                output.WriteLine($"  {(r.Kind == ReceiptKind.Read ? "read" : "✓✓")} {r.Peer} up to message {r.MessageId}");
        return 0;
    }
}
