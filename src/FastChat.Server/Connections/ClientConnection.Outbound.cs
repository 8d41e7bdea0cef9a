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
    private const int InitialOutboundBuffer = 4096;

    /// <summary>The outbound state's lock: the connection's own monitor, so an idle connection carries no lock object.</summary>
    private object OutLock => this;
    private byte[]? _outBuffer;
    private int _outCount;
    private int _outFrames;
    private bool _flushScheduled;
    private bool _outClosed;

    /// <summary>Benchmarks only: no flush work item; the benchmark calls <see cref="FlushInline"/>.</summary>
    internal bool InlineFlushForBenchmark;

    public bool TryDeliver(ReadOnlySpan<byte> frame) => TryWrite(frame);

    /// <summary>Queues a frame for sending; false when the connection is closing or overflowed.</summary>
    private bool TryWrite(ReadOnlySpan<byte> frame)
    {
        bool overflow = false;
        lock (OutLock)
        {
            if (_outClosed) return false;
            if (_outCount + frame.Length > _server.Options.MaxOutboundBytes) overflow = true;
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
            if (_outClosed) return;
            Append(frame);
            _outClosed = true;
        }
    }

    private void Append(ReadOnlySpan<byte> frame)
    {
        if (_outBuffer is null || _outBuffer.Length - _outCount < frame.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(InitialOutboundBuffer, Math.Max(_outCount + frame.Length, (_outBuffer?.Length ?? 0) * 2)));
            if (_outBuffer is not null)
            {
                _outBuffer.AsSpan(0, _outCount).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_outBuffer);
            }
            _outBuffer = bigger;
        }
        frame.CopyTo(_outBuffer.AsSpan(_outCount));
        _outCount += frame.Length;
        _outFrames++;
        if (_flushScheduled || InlineFlushForBenchmark) return;
        _flushScheduled = true;
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
                    lock (OutLock) { _outClosed = true; _flushScheduled = false; }
                    return;
                }
            }
        }
        catch (Exception)
        {
            // The transport is gone; the read side will notice and clean up.
            lock (OutLock) { _outClosed = true; _flushScheduled = false; }
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
        byte[]? batch;
        int count, frames;
        lock (OutLock)
        {
            (batch, count, frames) = (_outBuffer, _outCount, _outFrames);
            if (batch is null || count == 0)
            {
                if (markIdleWhenEmpty) _flushScheduled = false;
                return false;
            }
            (_outBuffer, _outCount, _outFrames) = (null, 0, 0);
        }
        int wire;
        try { wire = EncryptRecords(batch.AsSpan(0, count)); }
        finally { ArrayPool<byte>.Shared.Return(batch); }
        _server.Metrics.FramesSent(frames, wire);
        return true;
    }

    private int EncryptRecords(ReadOnlySpan<byte> frames) => RecordWriter.Seal(_transport!, frames, _output);

    /// <summary>At close: give the last frames (DISCONNECT) a moment to reach the socket.</summary>
    private async Task DrainOutboundAsync(TimeSpan timeout)
    {
        // Real time on purpose: this waits for our own flush to reach the socket, not for the client.
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            lock (OutLock)
            {
                if (!_flushScheduled)
                {
                    _outClosed = true;
                    if (_outBuffer is not null) ArrayPool<byte>.Shared.Return(_outBuffer);
                    _outBuffer = null;
                    _outCount = 0;
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
