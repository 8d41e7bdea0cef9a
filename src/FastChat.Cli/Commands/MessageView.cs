using FastChat.Client.Encryption;

namespace FastChat.Cli.Commands;

/// <summary>How an incoming message is shown: trusted text, a plain-text warning, or why it is not shown.</summary>
public static class MessageView
{
    /// <summary>The line to print, or null for nothing (a redelivery).</summary>
    public static string? Format(OpenedMessage m, string timeFormat = "HH:mm:ss") => m.Status switch
    {
        OpenedStatus.Encrypted when m.To is not null => $"[{Time(m, timeFormat)}] you (from {m.From}) → {m.To}: {m.Text}",
        OpenedStatus.Encrypted => $"[{Time(m, timeFormat)}] {m.From}: {m.Text}",
        OpenedStatus.Unencrypted => $"[{Time(m, timeFormat)}] {m.From} (NOT end-to-end encrypted): {m.Text}",
        OpenedStatus.IdentityChanged => $"⚠ {m.From}'s safety number has changed (a new phone, or someone in between). Their message is held: " +
            $"compare with 'fastchat safety-number {m.From}', then run 'fastchat trust {m.From}' to read it.",
        OpenedStatus.Undecryptable => $"⚠ a message from {m.From} could not be decrypted: {m.Problem}",
        OpenedStatus.UnlistedDevice => $"⚠ a message from {m.From} is held: {m.Sender}'s signed device list does not name that device. " +
            $"If {m.Sender} just linked it, 'fastchat devices list {m.Sender}' fetches the new list and shows the message.",
        _ => null,
    };

    /// <summary>The warning when a signed device list changed.</summary>
    public static string DevicesChanged(string account, string me, byte[] added, byte[] removed)
    {
        string whose = account == me ? "Your account's" : $"{account}'s";
        var parts = new List<string>();
        if (added.Length > 0) parts.Add($"device {string.Join(", ", added)} added");
        if (removed.Length > 0) parts.Add($"device {string.Join(", ", removed)} removed");
        return $"⚠ {whose} devices changed ({string.Join("; ", parts)}), signed by the same account key. " +
            (account == me ? "If you did not link it, unlink it on your primary: 'fastchat devices unlink N'." : $"Messages to {account} now go to the devices in the new list.");
    }

    private static string Time(OpenedMessage m, string format) => (m.SentAt ?? DateTimeOffset.Now).ToLocalTime().ToString(format, System.Globalization.CultureInfo.InvariantCulture);
}
