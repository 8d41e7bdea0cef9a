using FastChat.Client.Encryption;

namespace FastChat.Cli.Commands;

/// <summary>How an incoming message is shown: trusted text, a plain-text warning, or why it is not shown.</summary>
public static class MessageView
{
    /// <summary>The line to print, or null for nothing (a redelivery).</summary>
    public static string? Format(OpenedMessage m, string timeFormat = "HH:mm:ss") => m.Status switch
    {
        OpenedStatus.Encrypted => $"[{Time(m, timeFormat)}] {m.From}: {m.Text}",
        OpenedStatus.Unencrypted => $"[{Time(m, timeFormat)}] {m.From} (NOT end-to-end encrypted): {m.Text}",
        OpenedStatus.IdentityChanged => $"⚠ {m.From}'s safety number has changed (a new phone, or someone in between). Their message is held: " +
            $"compare with 'fastchat safety-number {m.From}', then run 'fastchat trust {m.From}' to read it.",
        OpenedStatus.Undecryptable => $"⚠ a message from {m.From} could not be decrypted: {m.Problem}",
        _ => null,
    };

    private static string Time(OpenedMessage m, string format) => (m.SentAt ?? DateTimeOffset.Now).ToLocalTime().ToString(format, System.Globalization.CultureInfo.InvariantCulture);
}
