using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using Routing = FastChat.Server.Routing;

namespace FastChat.Server.Connections;

/// <summary>
/// Presence and typing (protocol-spec/15-presence.md). This node is the home of the signed-in
/// account, so its sessions count here; what it watches goes to the watched users' homes through
/// <see cref="Presence.PresenceWatches"/>; typing is routed like a message and never stored.
/// </summary>
internal sealed partial class ClientConnection
{
    private ClientLimits? _limits;
    private bool _presenceCounted;

    private ClientLimits Limits => _limits ??= new ClientLimits(_server.Clock.NowTicks, _server.PresenceOptions, _server.MediaOptions);

    private bool HandleTyping(ReadOnlySpan<byte> body)
    {
        if (!TypingFrames.TryParseTyping(body, out var to, out bool typing)) return Malformed("TYPING");
        if (!Limits.TryTakeTyping(_server.Clock.NowTicks))
        {
            _server.Metrics.TypingDropped(); // a typing indicator is a hint: over the rate it is dropped, not refused
            return true;
        }
        Span<byte> entry = stackalloc byte[1 + GroupAddress.Length];
        int n = TypingFrames.WriteEntry(entry, to, typing);
        _server.Router.Route(new Routing.RouteRequest(to, DeliveryKind.Typing, 0, _addressBytes, Address, entry[..n]), null, 0);
        return true;
    }

    private bool HandlePresenceSubscribe(ReadOnlySpan<byte> body)
    {
        if (!PresenceSubscribeBody.TryParse(body, out var subscribe)) return Malformed("PRESENCE_SUBSCRIBE");
        if (!Limits.TryTakeRequest(_server.Clock.NowTicks))
            return PresenceAnswer(subscribe.RequestId, PresenceStatusCode.RateLimited, "too many presence requests; slow down");
        int max = _server.PresenceOptions.MaxSubscriptions;
        if (subscribe.Users.Count > max) return PresenceAnswer(subscribe.RequestId, PresenceStatusCode.TooMany, $"a connection watches at most {max} accounts");
        // The answer first: the PRESENCE frames of the users it adds follow it.
        bool open = PresenceAnswer(subscribe.RequestId, PresenceStatusCode.Done, "");
        _server.PresenceWatches.Replace(this, Address, subscribe.Users);
        return open;
    }

    private bool QueuePresenceSettings(ReadOnlySpan<byte> body)
    {
        if (!PresenceSettingsBody.TryParse(body, out var settings)) return Malformed("PRESENCE_SETTINGS");
        if (!Limits.TryTakeRequest(_server.Clock.NowTicks))
            return PresenceAnswer(settings.RequestId, PresenceStatusCode.RateLimited, "too many presence requests; slow down");
        _pendingRequest = () => SetPresenceSettingsAsync(settings);
        return true;
    }

    private async Task SetPresenceSettingsAsync(PresenceSettingsBody settings)
    {
        var result = await _server.PresenceStore.SetSettingsAsync(settings.RequestId, _userBytes!, settings.Visibility, settings.Contacts).ConfigureAwait(false);
        if (result.Status == PresenceStatusCode.Done) _server.Presence.SettingsChanged(UserName);
        TryWrite(ControlFrames.Encode(result));
    }

    private bool PresenceAnswer(ulong requestId, PresenceStatusCode status, string message) =>
        TryWrite(ControlFrames.Encode(new PresenceResultBody(requestId, status, message)));

    /// <summary>After the session attached: the account has one more session here.</summary>
    private void CountPresence()
    {
        _server.Presence.SessionStarted(UserName);
        _presenceCounted = true;
    }

    /// <summary>When the connection ends: one session less, and its watches end.</summary>
    private void EndPresence()
    {
        if (_presenceCounted) _server.Presence.SessionEnded(UserName);
        _presenceCounted = false;
        if (_addressBytes is not null) _server.PresenceWatches.Remove(this, Address);
    }
}
