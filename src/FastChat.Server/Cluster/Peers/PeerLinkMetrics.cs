namespace FastChat.Server.Cluster.Peers;

/// <summary>Counters of one link, read by the mesh's observable instruments and the admin view.</summary>
internal sealed class PeerLinkMetrics
{
    private long _framesSent, _framesReceived, _bytesSent, _bytesReceived, _sessions, _acked, _rttMicros;
    private int _connected;

    public long FramesSent => Volatile.Read(ref _framesSent);
    public long FramesReceived => Volatile.Read(ref _framesReceived);
    public long BytesSent => Volatile.Read(ref _bytesSent);
    public long BytesReceived => Volatile.Read(ref _bytesReceived);
    /// <summary>Sessions established (the first connect, then every reconnect).</summary>
    public long Sessions => Volatile.Read(ref _sessions);
    public long Acked => Volatile.Read(ref _acked);
    public bool IsConnected => Volatile.Read(ref _connected) == 1;
    /// <summary>The last heartbeat's round trip, microseconds (0 before the first).</summary>
    public long RttMicroseconds => Volatile.Read(ref _rttMicros);

    public void Sent(int frames, int bytes)
    {
        Interlocked.Add(ref _framesSent, frames);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    public void Received(int frames, int bytes)
    {
        Interlocked.Add(ref _framesReceived, frames);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    public void Rtt(TimeSpan rtt) => Volatile.Write(ref _rttMicros, (long)rtt.TotalMicroseconds);

    public void AddAcked(int count) => Interlocked.Add(ref _acked, count);

    public void Connected()
    {
        if (Interlocked.Exchange(ref _connected, 1) == 0) Interlocked.Increment(ref _sessions);
    }

    public void Disconnected() => Volatile.Write(ref _connected, 0);
}
