using FastChat.Client;
using FastChat.Client.Encryption;

namespace FastChat.Cli.Commands;

/// <summary>
/// <c>fastchat chat CONTACT</c>: type a line to send it; incoming messages, receipt ticks, the
/// contact's presence and typing appear live. Each sent line is end-to-end encrypted and gets a number; ticks follow as
/// <c>[n] ✓</c> (server has it), <c>[n] ✓✓</c> (delivered) and <c>[n] read</c>; a changed safety
/// number is a warning, not a message. /quit or end of input leaves.
/// </summary>
public static class ChatCommand
{
    public static async Task<int> RunAsync(Profile profile, string contact, TextReader input, TextWriter output, string? downloads = null)
    {
        var ticks = new TickBoard(contact, line => { lock (output) output.WriteLine(line); });
        void Print(string line) { lock (output) output.WriteLine(line); }

        var session = await Session.ConnectAsync(profile, s =>
        {
            void Show(OpenedMessage opened)
            {
                if (MessageView.Format(opened) is { } shown) Print(shown);
                if (opened.Media is { } media && opened.Status == OpenedStatus.Encrypted) _ = SaveAsync(media, downloads ?? FileTransfers.DefaultDownloads(profile), output, Print);
                // The read receipt goes to the device that sent it.
                if (opened.Sender == contact && opened.Status == OpenedStatus.Encrypted) _ = s.Client.MarkReadAsync(opened.From, opened.MessageId);
            }
            s.Client.MessageReceived += m =>
            {
                var opened = s.Chat.Open(m);
                if (opened.Status != OpenedStatus.UnlistedDevice) { Show(opened); return; }
                // Perhaps a device linked since: fetch the list off the read loop, then show what it releases.
                _ = Task.Run(async () =>
                {
                    try { foreach (var released in await s.Chat.RefreshDevicesAsync(opened.Sender)) Show(released); }
                    catch (Exception ex) when (ex is FastChatException or SecureChatException or DeviceListException or IdentityChangedException) { Show(opened); }
                });
            };
            s.Warn(Print);
            s.Client.ReceiptReceived += ticks.OnReceipt;
            s.Client.Disconnected += (code, reason) => Print($"-- disconnected ({code}: {reason}); reconnecting");
            s.Client.PresenceChanged += p => { if (p.User == contact) Print("-- " + PresenceCommands.Describe(p)); };
            s.Client.TypingChanged += t =>
            {
                if (t.IsTyping && t.Context == s.Device.UserName && t.From.Split('/')[0] == contact) Print($"-- {contact} is typing…");
            };
        });
        await using (session)
        {
            var client = session.Client;
            Print($"-- chatting with {contact} as {session.Device.UserName}, end-to-end encrypted; {session.Welcome!.Queued} waiting; /quit to leave");
            await client.WatchPresenceAsync([contact]);
            int next = 0;
            string? line;
            while ((line = await input.ReadLineAsync()) is not null)
            {
                if (line == "/quit") break;
                if (line.Length == 0) continue;
                if (line.StartsWith("/file ", StringComparison.Ordinal))
                {
                    var path = line[6..].Trim().Trim('"');
                    try { Print($"you: [file] {Path.GetFileName(path)} ✓ (id {await FileTransfers.SendAsync(session.Chat, contact, path, output)})"); }
                    catch (Exception ex) when (ex is CliException or FastChatException or SecureChatException or IdentityChangedException or DeviceListException
                        or Client.Media.MediaTransferException or HttpRequestException or IOException)
                    {
                        Print($"  file not sent: {ex.Message}");
                    }
                    continue;
                }
                int number = ++next;
                Print($"you [{number}]: {line}");
                _ = SendAsync(session.Chat, contact, line, number, ticks, Print);
            }
            // Give outstanding sends a moment to reach ✓ before leaving.
            var until = DateTime.UtcNow.AddSeconds(5);
            while (client.PendingCount > 0 && DateTime.UtcNow < until) await Task.Delay(20);
        }
        return 0;
    }

    private static async Task SaveAsync(Client.Media.MediaPointer media, string folder, TextWriter output, Action<string> print)
    {
        try { print($"-- saved {media.FileName} to {await FileTransfers.SaveAsync(media, folder, output)}"); }
        catch (Exception ex) when (ex is Client.Media.MediaTransferException or Client.Media.MediaIntegrityException or HttpRequestException or IOException)
        {
            print($"-- ⚠ could not fetch {media.FileName}: {ex.Message}");
        }
    }

    private static async Task SendAsync(SecureChat chat, string contact, string line, int number, TickBoard ticks, Action<string> print)
    {
        try
        {
            ulong id = await chat.SendTextAsync(contact, line);
            ticks.OnServerAck(number, id);
        }
        catch (Exception ex) when (ex is FastChatException or SecureChatException or IdentityChangedException or DeviceListException)
        {
            print($"  [{number}] not sent: {ex.Message}");
        }
    }
}
