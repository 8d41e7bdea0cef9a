using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;
using FastChat.Server.Sessions;

namespace FastChat.Server.Cluster.Peers;

/// <summary>Takes the peer frames of one feature (the hand-off) off the mesh's hands.</summary>
internal interface IPeerFrameConsumer
{
    bool Accepts(byte frameType);

    /// <summary>Read loop; false closes the session.</summary>
    bool OnFrame(PeerSession session, in Frame frame);
}

/// <summary>What a session hands each frame it reads to (the mesh).</summary>
internal interface IPeerFrameHandler
{
    /// <summary>False closes the session (a malformed frame: the peer runs different code).</summary>
    bool OnFrame(PeerSession session, in Frame frame);
}

/// <summary>
/// One authenticated connection to a peer, after the Noise handshake: a read loop that decrypts
/// records and hands their frames to the mesh, and a write loop that drains the link's outbox,
/// many frames per record and one flush per batch. Either loop ending ends both.
/// </summary>
internal sealed class PeerSession : IAckSink
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly NoiseTransport _transport;
    private readonly IPeerFrameHandler _handler;
    private readonly CancellationTokenSource _closed = new();
    private readonly byte[] _record = new byte[NoiseConstants.MaxMessageLength];
    private long _lastReceive = Stopwatch.GetTimestamp();

    public PeerSession(PeerLink link, PipeReader input, PipeWriter output, NoiseTransport transport, IPeerFrameHandler handler)
    {
        Link = link;
        _input = input;
        _output = output;
        _transport = transport;
        _handler = handler;
    }

    public PeerLink Link { get; }

    /// <summary>The peer's HELLO: its incarnation (0 until it arrives).</summary>
    public ulong RemoteIncarnation { get; set; }

    /// <summary>Read loop only: a FORWARD was refused for its epoch; every later one is refused until the peer's RESYNC.</summary>
    public bool RefusingUntilResync { get; set; }

    /// <summary>Acknowledges the FORWARDs received on this session once durable here (created on the first).</summary>
    public AckTracker? InboundAcks { get; set; }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);
        var read = ReadLoopAsync(linked.Token);
        var write = WriteLoopAsync(linked.Token);
        var heartbeat = HeartbeatAsync(linked.Token);
        await Task.WhenAny(read, write, heartbeat).ConfigureAwait(false);
        Close();
        try { await Task.WhenAll(read, write, heartbeat).ConfigureAwait(false); }
        catch (Exception) { /* the session is over; the link reconnects */ }
        Link.Detach(this);
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        _transport.Clear();
    }

    public void Close()
    {
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>
    /// PING every <see cref="HeartbeatInterval"/>; a session that hears nothing for
    /// <see cref="DeadAfter"/> is closed, so a link cut without a FIN (a partition, a dead host) is
    /// noticed in seconds rather than TCP's minutes, and its unanswered forwards go out again on the next session.
    /// </summary>
    private async Task HeartbeatAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(HeartbeatInterval);
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            if (Stopwatch.GetElapsedTime(Volatile.Read(ref _lastReceive)) > DeadAfter) return;
            var ping = new byte[MessageFrames.U64FrameLength];
            MessageFrames.WriteU64(ping, FrameType.Ping, (ulong)Stopwatch.GetTimestamp());
            Link.SendOn(this, ping);
        }
    }

    public static TimeSpan HeartbeatInterval { get; } = TimeSpan.FromSeconds(1);
    public static TimeSpan DeadAfter { get; } = TimeSpan.FromSeconds(5);

    private async Task ReadLoopAsync(CancellationToken token)
    {
        while (true)
        {
            var result = await _input.ReadAsync(token).ConfigureAwait(false);
            Volatile.Write(ref _lastReceive, Stopwatch.GetTimestamp());
            var buffer = result.Buffer;
            int frames = 0;
            long bytes = buffer.Length;
            while (true)
            {
                if (!RecordFraming.TryRead(ref buffer, out var record, out bool invalid))
                {
                    if (invalid) return;
                    break;
                }
                if (!HandleRecord(record, ref frames)) return;
            }
            Link.Metrics.Received(frames, (int)(bytes - buffer.Length));
            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled) return;
        }
    }

    private bool HandleRecord(ReadOnlySequence<byte> record, ref int frames)
    {
        if (record.Length <= NoiseConstants.TagLength) return false;
        record.CopyTo(_record);
        int length = _transport.Decrypt(_record.AsSpan(0, (int)record.Length), _record);
        if (length < 0) return false;
        var reader = new FrameReader(_record.AsSpan(0, length));
        while (reader.TryRead(out var frame, out _))
        {
            frames++;
            if (!_handler.OnFrame(this, frame)) return false;
        }
        return reader.End; // not at the end: the rest was malformed
    }

    private async Task WriteLoopAsync(CancellationToken token)
    {
        var batch = new List<byte[]>();
        var staging = new ArrayBufferWriter<byte>(ProtocolLimits.MaxRecordPlaintext);
        while (true)
        {
            await Link.TakeAsync(this, batch, token).ConfigureAwait(false);
            int wire = 0;
            foreach (var frame in batch)
            {
                if (staging.WrittenCount + frame.Length > ProtocolLimits.MaxRecordPlaintext)
                {
                    wire += RecordWriter.Seal(_transport, staging.WrittenSpan, _output);
                    staging.ResetWrittenCount();
                }
                staging.Write(frame);
            }
            if (staging.WrittenCount > 0) wire += RecordWriter.Seal(_transport, staging.WrittenSpan, _output);
            staging.ResetWrittenCount();
            Link.Metrics.Sent(batch.Count, wire);
            batch.Clear();
            var flushed = await _output.FlushAsync(token).ConfigureAwait(false);
            if (flushed.IsCompleted || flushed.IsCanceled) return;
        }
    }

    // The inbound tracker's cumulative ack and commit notices go back over this session.
    void IAckSink.SendServerAck(ulong upTo)
    {
        var frame = new byte[PeerFrames.AckLength];
        PeerFrames.WriteAck(frame, upTo);
        Link.SendOn(this, frame);
    }

    void IAckSink.CommitPassed() { }
}
