using System.Collections.Concurrent;
using FastChat.Protocol.Frames;

namespace FastChat.Cli.Commands;

/// <summary><c>fastchat presence USER...</c> and <c>fastchat privacy</c> (protocol-spec/15-presence.md).</summary>
public static class PresenceCommands
{
    /// <summary>One line for a PRESENCE: online, last seen (local time), or hidden.</summary>
    public static string Describe(PresenceBody presence) => presence.State switch
    {
        PresenceState.Online => $"{presence.User} is online",
        PresenceState.Offline when presence.LastSeenMs > 0 =>
            $"{presence.User} was last seen {DateTimeOffset.FromUnixTimeMilliseconds(presence.LastSeenMs).ToLocalTime():yyyy-MM-dd HH:mm}",
        PresenceState.Offline => $"{presence.User} is offline",
        _ => $"{presence.User} does not share their presence with you",
    };

    public static async Task<int> ShowAsync(Profile profile, IReadOnlyList<string> users, TimeSpan wait, TextWriter output)
    {
        var seen = new ConcurrentDictionary<string, PresenceBody>(StringComparer.Ordinal);
        await using var session = await Session.ConnectAsync(profile, s => s.Client.PresenceChanged += p => seen[p.User] = p).ConfigureAwait(false);
        var result = await session.Client.WatchPresenceAsync(users).ConfigureAwait(false);
        if (result.Status != PresenceStatusCode.Done) throw new CliException(result.Message);
        var until = DateTime.UtcNow + wait;
        while (users.Any(u => !seen.ContainsKey(u)) && DateTime.UtcNow < until) await Task.Delay(20).ConfigureAwait(false);
        foreach (var user in users)
            output.WriteLine(seen.TryGetValue(user, out var presence) ? Describe(presence) : $"{user}: no answer from their server");
        return users.All(seen.ContainsKey) ? 0 : 1;
    }

    public static async Task<int> SetAsync(Profile profile, PresenceVisibility visibility, IReadOnlyList<string> contacts, TextWriter output)
    {
        await using var session = await Session.ConnectAsync(profile).ConfigureAwait(false);
        var result = await session.Client.SetPresenceSettingsAsync(visibility, contacts).ConfigureAwait(false);
        if (result.Status != PresenceStatusCode.Done) throw new CliException(result.Message);
        output.WriteLine(visibility switch
        {
            PresenceVisibility.Everyone => "everyone may see when you are online and when you were last seen",
            PresenceVisibility.Contacts => $"only your contacts ({(contacts.Count == 0 ? "none yet" : string.Join(", ", contacts))}) may see when you are online and when you were last seen",
            _ => "nobody may see when you are online or when you were last seen",
        });
        return 0;
    }
}
