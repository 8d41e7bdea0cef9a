using System.Globalization;

namespace FastChat.Cli.Commands;

/// <summary><c>fastchat history CONTACT [--limit N]</c>: the conversation as this device kept it (offline; from the device store).</summary>
public static class HistoryCommand
{
    public static int Run(Profile profile, string contact, int limit, TextWriter output)
    {
        using var device = profile.OpenDevice();
        var entries = device.History(contact, limit);
        if (entries.Count == 0) output.WriteLine($"No messages with {contact} on this device yet.");
        foreach (var e in entries)
        {
            string who = e.Outgoing ? e.Device is null ? "you" : $"you (from {e.Device})" : e.Device ?? contact;
            string plain = e.Encrypted ? "" : " (NOT end-to-end encrypted)";
            output.WriteLine($"[{e.At.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}] {who}{plain}: {e.Text}");
        }
        return 0;
    }
}
