using System.Diagnostics.Metrics;
using FastChat.Protocol.Wire;

namespace FastChat.Server.Telemetry;

/// <summary>The "FastChat.Server" meter, readable with <c>dotnet-counters monitor -n fastchat-server --counters FastChat.Server</c>.</summary>
public sealed class FastChatMetrics : IDisposable
{
    public const string MeterName = "FastChat.Server";

    private readonly Meter _meter;
    private readonly Counter<long> _connectionsOpened;
    private readonly UpDownCounter<long> _connectionsActive;
    private readonly UpDownCounter<long> _sessionsActive;
    private readonly Counter<long> _handshakes;
    private readonly Counter<long> _handshakeFailures;
    private readonly Counter<long> _framesIn;
    private readonly Counter<long> _framesOut;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _messagesRouted;
    private readonly Counter<long> _offlineQueued;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _commits;
    private readonly Counter<long> _redirects;
    private readonly Counter<long> _prekeyFetches;
    private readonly Counter<long> _presencePushes;
    private readonly Counter<long> _typingDropped;
    private readonly Histogram<double> _commitMs;
    private readonly Histogram<int> _commitBatch;

    public FastChatMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _connectionsOpened = _meter.CreateCounter<long>("fastchat.connections.opened");
        _connectionsActive = _meter.CreateUpDownCounter<long>("fastchat.connections.active");
        _sessionsActive = _meter.CreateUpDownCounter<long>("fastchat.sessions.active", description: "Authenticated connections");
        _handshakes = _meter.CreateCounter<long>("fastchat.handshakes.completed");
        _handshakeFailures = _meter.CreateCounter<long>("fastchat.handshakes.failed");
        _framesIn = _meter.CreateCounter<long>("fastchat.frames.received");
        _framesOut = _meter.CreateCounter<long>("fastchat.frames.sent");
        _bytesIn = _meter.CreateCounter<long>("fastchat.bytes.received", "By");
        _bytesOut = _meter.CreateCounter<long>("fastchat.bytes.sent", "By");
        _messagesRouted = _meter.CreateCounter<long>("fastchat.messages.routed");
        _offlineQueued = _meter.CreateCounter<long>("fastchat.offline.queued", description: "Entries queued for a user who was not connected");
        _delivered = _meter.CreateCounter<long>("fastchat.offline.delivered", description: "Queue entries acknowledged by their recipient and removed");
        _errors = _meter.CreateCounter<long>("fastchat.errors");
        _commits = _meter.CreateCounter<long>("fastchat.commits");
        _redirects = _meter.CreateCounter<long>("fastchat.redirects", description: "Logins sent to their home node");
        _prekeyFetches = _meter.CreateCounter<long>("fastchat.prekeys.fetches", description: "Bundle fetches answered, by status");
        _presencePushes = _meter.CreateCounter<long>("fastchat.presence.pushes", description: "PRESENCE bodies sent to watchers (one per watcher per change)");
        _typingDropped = _meter.CreateCounter<long>("fastchat.typing.dropped", description: "TYPING frames over a connection's rate, dropped");
        _commitMs = _meter.CreateHistogram<double>("fastchat.commit.duration", "ms");
        _commitBatch = _meter.CreateHistogram<int>("fastchat.commit.waiters", description: "Connections acknowledged by one group commit");
    }

    public void ConnectionOpened() { _connectionsOpened.Add(1); _connectionsActive.Add(1); }
    public void ConnectionClosed() => _connectionsActive.Add(-1);
    public void SessionStarted() => _sessionsActive.Add(1);
    public void SessionEnded() => _sessionsActive.Add(-1);
    public void HandshakeCompleted() => _handshakes.Add(1);
    public void HandshakeFailed() => _handshakeFailures.Add(1);
    public void FramesReceived(int frames, int bytes) { _framesIn.Add(frames); _bytesIn.Add(bytes); }
    public void FramesSent(int frames, int bytes) { _framesOut.Add(frames); _bytesOut.Add(bytes); }
    public void MessageRouted() => _messagesRouted.Add(1);
    public void Redirected() => _redirects.Add(1);
    public void PresencePushed() => _presencePushes.Add(1);
    public void TypingDropped() => _typingDropped.Add(1);
    public void OfflineQueued() => _offlineQueued.Add(1);
    public void Delivered(int count) => _delivered.Add(count);
    public void PrekeyFetch(Protocol.Frames.PrekeyFetchStatus status) =>
        _prekeyFetches.Add(1, new KeyValuePair<string, object?>("status", PrekeyStatusNames.Of(status)));
    public void Error(ErrorCode code) => _errors.Add(1, new KeyValuePair<string, object?>("code", ErrorNames.Of(code)));
    public void Commit(TimeSpan duration, int waiters)
    {
        _commits.Add(1);
        _commitMs.Record(duration.TotalMilliseconds);
        _commitBatch.Record(waiters);
    }

    /// <summary>The meter, for instruments other modules observe (the mesh's links).</summary>
    public Meter Meter => _meter;

    public void Dispose() => _meter.Dispose();
}

internal static class PrekeyStatusNames
{
    private static readonly Dictionary<Protocol.Frames.PrekeyFetchStatus, string> Names =
        Enum.GetValues<Protocol.Frames.PrekeyFetchStatus>().ToDictionary(c => c, c => c.ToString());
    public static string Of(Protocol.Frames.PrekeyFetchStatus status) => Names.TryGetValue(status, out var name) ? name : ((int)status).ToString();
}

internal static class ErrorNames
{
    private static readonly Dictionary<ErrorCode, string> Names = Enum.GetValues<ErrorCode>().ToDictionary(c => c, c => c.ToString());
    public static string Of(ErrorCode code) => Names.TryGetValue(code, out var name) ? name : ((int)code).ToString();
}
