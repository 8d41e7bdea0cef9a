using FastChat.Client.Transport;
using FastChat.Protocol.Frames;

namespace FastChat.Client;

/// <summary>A device typing to you or in a group: <paramref name="Context"/> is your account (a direct chat) or the group's address (#hex).</summary>
public sealed record TypingNotice(string From, string Context, bool IsTyping);

/// <summary>Presence, last seen and typing (protocol-spec/15-presence.md).</summary>
public sealed partial class FastChatClient
{
    private IReadOnlyList<string> _watching = [];

    /// <summary>A watched user's state: online, offline (with last seen) or hidden.</summary>
    public event Action<PresenceBody>? PresenceChanged;

    /// <summary>Someone started or stopped typing to this account or in one of its groups.</summary>
    public event Action<TypingNotice>? TypingChanged;

    /// <summary>
    /// Watches exactly these users from now on (replacing the last set); each user new to the set
    /// is reported through <see cref="PresenceChanged"/> soon after. The set is sent again after a reconnect.
    /// </summary>
    public async Task<PresenceResultBody> WatchPresenceAsync(IReadOnlyList<string> users, CancellationToken ct = default)
    {
        var result = (PresenceResultBody)await RequestAsync(id => new PresenceSubscribeBody(id, users), ct).ConfigureAwait(false);
        if (result.Status == PresenceStatusCode.Done) _watching = users.ToArray();
        return result;
    }

    /// <summary>Who may see this account's online state and last seen; contacts are the accounts named here.</summary>
    public async Task<PresenceResultBody> SetPresenceSettingsAsync(PresenceVisibility visibility, IReadOnlyList<string> contacts, CancellationToken ct = default) =>
        (PresenceResultBody)await RequestAsync(id => new PresenceSettingsBody(id, visibility, contacts), ct).ConfigureAwait(false);

    /// <summary>Tells a user (or a group, by its address #hex) that this device is typing or stopped; never stored, dropped over the server's rate.</summary>
    public void SendTyping(string to, bool typing)
    {
        var writer = _writer ?? throw new InvalidOperationException("Not connected.");
        var name = System.Text.Encoding.ASCII.GetBytes(to);
        var frame = new byte[Protocol.Wire.ProtocolLimits.FrameHeaderLength + name.Length + 2];
        TypingFrames.WriteTyping(frame, name, typing);
        writer.Enqueue(frame);
    }

    private void OnTypingNotice(ReadOnlySpan<byte> body)
    {
        if (!TypingFrames.TryParseNotice(body, out var from, out var context, out bool typing)) return;
        TypingChanged?.Invoke(new TypingNotice(System.Text.Encoding.ASCII.GetString(from), System.Text.Encoding.ASCII.GetString(context), typing));
    }

    /// <summary>After a reconnect the new connection watches nothing until told: tell it the last set.</summary>
    private void RewatchAfterReconnect(FrameWriterLoop writer)
    {
        if (_watching.Count == 0) return;
        var (id, answer) = _requests.Start();
        writer.Enqueue(ControlFrames.Encode(new PresenceSubscribeBody(id, _watching)));
        _ = answer.ContinueWith(_ => _requests.Forget(id), TaskScheduler.Default);
    }
}
