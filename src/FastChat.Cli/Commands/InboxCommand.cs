using FastChat.Client;
using FastChat.Client.Encryption;
using FastChat.Client.Media;

namespace FastChat.Cli.Commands;

/// <summary><c>fastchat inbox [--wait S]</c>: print what arrived while offline (decrypted), then exit.</summary>
public static class InboxCommand
{
    public static async Task<int> RunAsync(Profile profile, TimeSpan wait, string downloads, TextWriter output)
    {
        var received = new List<IncomingMessage>();
        var groupMessages = new List<IncomingGroupMessage>();
        var receipts = new List<Receipt>();
        await using var session = await Session.ConnectAsync(profile, s =>
        {
            s.Client.MessageReceived += m => { lock (received) received.Add(m); };
            s.Client.GroupMessageReceived += m => { lock (received) groupMessages.Add(m); };
            s.Client.GroupChanged += (from, change) => profile.RememberGroup(change.Name, change.GroupId);
            s.Client.ReceiptReceived += r => { lock (receipts) receipts.Add(r); };
            s.Warn(line => { lock (received) output.WriteLine(line); });
        });
        // The server said how many entries wait; stop early once they are all in.
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            int count;
            lock (received) lock (receipts) count = received.Count + groupMessages.Count + receipts.Count;
            if (session.Welcome!.Queued > 0 && count >= session.Welcome.Queued) break;
            await Task.Delay(50);
        }
        IncomingMessage[] messages;
        lock (received) messages = [.. received];
        var opened = new List<OpenedMessage>();
        foreach (var m in messages) opened.AddRange(await session.Chat.OpenAsync(m));
        // Group messages after the pairwise ones: those carry the sender keys that open them.
        var released = new List<OpenedMessage>();
        session.Chat.Released += more => released.AddRange(more);
        IncomingGroupMessage[] inGroups;
        lock (received) inGroups = [.. groupMessages];
        foreach (var m in inGroups) opened.Add(session.Chat.OpenGroup(m));
        opened.AddRange(released);
        var lines = opened.Select(m => m.Group is { } group
            ? GroupCommands.Format(m, session.Chat.KnownGroup(group)?.Name ?? FastChat.Protocol.Wire.GroupAddress.Of(group))
            : MessageView.Format(m, "yyyy-MM-dd HH:mm:ss")).OfType<string>().ToArray();
        if (lines.Length == 0) output.WriteLine("No new messages.");
        foreach (var line in lines) output.WriteLine(line);
        foreach (var file in opened.Where(m => m.Media is not null))
        {
            try { output.WriteLine($"  saved {file.Media!.FileName} from {file.Sender} to {await FileTransfers.SaveAsync(file.Media, downloads, output)}"); }
            catch (Exception ex) when (ex is MediaTransferException or MediaIntegrityException or HttpRequestException or IOException)
            {
                output.WriteLine($"  ⚠ could not fetch {file.Media!.FileName} from {file.Sender}: {ex.Message}");
            }
        }
        lock (receipts)
            foreach (var r in receipts)
                output.WriteLine($"  {(r.Kind == ReceiptKind.Read ? "read" : "✓✓")} {r.Peer} up to message {r.MessageId}");
        return 0;
    }
}
