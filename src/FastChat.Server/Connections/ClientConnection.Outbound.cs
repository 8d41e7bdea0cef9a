using System.Buffers;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Server.Connections;

/// <summary>
/// Outbound frames from any thread are appended as plaintext to one pooled buffer; a single
/// flush work item takes the whole batch, packs it into as few records as fit (a frame never
/// spans records), encrypts straight into the pipe and flushes once. An idle connection holds
/// no buffer. Past MaxOutboundBytes the connection is closed as a slow reader.
/// </summary>
internal sealed partial class ClientConnection : IThreadPoolWorkItem
{
    /// <summary>The outbound state's lock: the connection's own monitor, so an idle connection carries no lock object.</summary>
    private object OutLock => this;
    private OutboundFrames _out; // guarded by OutLock

    /// <summary>Benchmarks only: no flush work item; the benchmark calls <see cref="FlushInline"/>.</summary>
    internal bool InlineFlushForBenchmark;

    /// <summary>
    /// A receipt (✓✓, read) waits while this session's ✓ waits for a group commit, and goes in
    /// the same record as that SERVER_ACK (or at that commit): one record and one send() for
    /// both, at the cost of at most one commit interval of receipt latency. Messages go at once.
    /// </summary>
    public bool TryDeliver(ReadOnlySpan<byte> frame, DeliveryKind kind) =>
        TryWrite(frame, holdForAck: kind != DeliveryKind.Message);

    /// <summary>
    /// Queues a frame for sending; false when the connection is closing or overflowed. With
    /// <paramref name="holdForAck"/> it waits for the ✓ if one is pending.
    /// </summary>
    private bool TryWrite(ReadOnlySpan<byte> frame, bool holdForAck = false)
    {
        bool overflow = false;
        lock (OutLock)
        {
            if (_out.Closed) return false;
            if (_out.Count + frame.Length > _server.Options.MaxOutboundBytes) overflow = true;
            // Checked under the lock: the tracker reports to CommitPassed or SendServerAck after it stops waiting.
            else if (holdForAck && _acks is { AwaitingCommit: true }) _out.Append(frame);
            else Append(frame);
        }
        if (!overflow) return true;
        Close(ErrorCode.SlowReader, "the client is not reading fast enough");
        return false;
    }

    /// <summary>The last frame (DISCONNECT): bypasses the limit and shuts the outbound side.</summary>
    private void WriteClosing(ReadOnlySpan<byte> frame)
    {
        lock (OutLock)
        {
            if (_out.Closed) return;
            Append(frame);
            _out.Closed = true;
        }
    }

    /// <summary>Appends under <see cref="OutLock"/> and schedules the flush if none is pending.</summary>
    private void Append(ReadOnlySpan<byte> frame)
    {
        _out.Append(frame);
        ScheduleFlushLocked();
    }

    /// <summary>Under <see cref="OutLock"/>: makes sure a flush will send what is buffered.</summary>
    private void ScheduleFlushLocked()
    {
        if (_out.FlushScheduled || InlineFlushForBenchmark) return;
        _out.FlushScheduled = true;
        _server.Scheduler.Schedule(this); // epoll: after the loop's batch, on its thread; else the thread pool
    }

    void IThreadPoolWorkItem.Execute() => _ = FlushLoopAsync();

    private async Task FlushLoopAsync()
    {
        try
        {
            while (true)
            {
                if (!SealPendingBatch(markIdleWhenEmpty: true)) return;
                var result = await _output.FlushAsync().ConfigureAwait(false);
                if (result.IsCompleted || result.IsCanceled)
                {
                    lock (OutLock) { _out.Closed = true; _out.FlushScheduled = false; }
                    return;
                }
            }
        }
        catch (Exception)
        {
            // The transport is gone; the read side will notice and clean up.
            lock (OutLock) { _out.Closed = true; _out.FlushScheduled = false; }
            _input.CancelPendingRead();
        }
    }

    /// <summary>Benchmarks only: the flush work item's job, on the calling thread.</summary>
    internal void FlushInline()
    {
        if (!SealPendingBatch(markIdleWhenEmpty: false)) return;
        var flush = _output.FlushAsync();
        if (!flush.IsCompleted) flush.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Takes every frame appended so far and seals it into the pipe (not yet flushed). False when
    /// there was nothing; then, if asked, the flush work item is marked finished under the same lock.
    /// </summary>
    private bool SealPendingBatch(bool markIdleWhenEmpty)
    {
        byte[] batch;
        int count, frames;
        lock (OutLock)
        {
            if (!_out.TryTake(out batch, out count, out frames))
            {
                if (markIdleWhenEmpty) _out.FlushScheduled = false;
                return false;
            }
        }
        int wire;
        try { wire = RecordWriter.Seal(_transport!, batch.AsSpan(0, count), _output); }
        finally { ArrayPool<byte>.Shared.Return(batch); }
        _server.Metrics.FramesSent(frames, wire);
        return true;
    }

    /// <summary>At close: give the last frames (DISCONNECT) a moment to reach the socket.</summary>
    private async Task DrainOutboundAsync(TimeSpan timeout)
    {
        // Real time on purpose: this waits for our own flush to reach the socket, not for the client.
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            lock (OutLock)
            {
                if (!_out.FlushScheduled)
                {
                    _out.Closed = true;
                    _out.Release();
                    return;
                }
            }
            if (Environment.TickCount64 > deadline)
            {
                _context.Abort();
                return;
            }
            await Task.Delay(5).ConfigureAwait(false);
        }
    }
}
