using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace FastChat.Server.Transport;

/// <summary>
/// The connection's output as a <see cref="PipeWriter"/>: bytes are written into one pooled
/// buffer and FlushAsync sends them straight to the socket. When the kernel's send buffer is
/// full the flush parks here (one-shot EPOLLOUT) until the socket drains, which is the
/// back-pressure the connection's own outbound limit builds on. The buffer goes back to the pool
/// once everything is sent, so an idle connection holds none.
/// </summary>
internal sealed unsafe class SocketWriter(EpollConnection connection) : PipeWriter, IThreadPoolWorkItem, IValueTaskSource<FlushResult>
{
    private const int MinimumBuffer = 4096;

    private ManualResetValueTaskSourceCore<FlushResult> _source;
    private byte[]? _buffer;
    private int _sent, _written;
    private bool _completed, _broken;
    private ParkedOperation _parked;

    private enum Send { Done, WouldBlock, Broken }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        MakeRoom(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        MakeRoom(sizeHint);
        return _buffer.AsSpan(_written);
    }

    // Serializers (System.Text.Json under Kestrel's HTTP on the operator port) ask this to decide when to flush.
    public override bool CanGetUnflushedBytes => true;
    public override long UnflushedBytes => _written - _sent;

    public override void Advance(int bytes)
    {
        if (bytes < 0 || _buffer is null || _written + bytes > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(bytes));
        _written += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_parked.TakeCancel()) return new(new FlushResult(isCanceled: true, isCompleted: false));
        switch (SendNow())
        {
            case Send.Done: return new(new FlushResult(false, false));
            case Send.Broken: return new(new FlushResult(false, true));
        }
        _source.Reset();
        _parked.Park();
        WaitForRoom();
        return new ValueTask<FlushResult>(this, _source.Version);
    }

    /// <summary>Ends a waiting flush with IsCanceled (on the thread pool); unsent bytes stay for the next flush.</summary>
    public override void CancelPendingFlush()
    {
        if (_parked.RequestCancel()) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        if (!_parked.IsParked) ReleaseBuffer();
    }

    /// <summary>The engine saw the socket writable (or failed): send after the current batch.</summary>
    public void OnWritable() => DeferredWork.Schedule(this);

    void IThreadPoolWorkItem.Execute()
    {
        if (_parked.CancelRequested) TryCompleteCanceled();
        else TryComplete();
    }

    private void TryComplete()
    {
        if (!_parked.TryClaim()) return;
        var outcome = SendNow();
        if (outcome == Send.WouldBlock)
        {
            _parked.Park();
            WaitForRoom();
            return;
        }
        if (_completed) ReleaseBuffer();
        _source.SetResult(new FlushResult(false, outcome == Send.Broken));
    }

    /// <summary>With a flush pending: arm one EPOLLOUT, unless a cancel raced in first; if that fails the connection is broken.</summary>
    private void WaitForRoom()
    {
        if (_parked.CancelRequested) TryCompleteCanceled();
        else if (!connection.Arm(Epoll.Writable) && _parked.TryClaim())
        {
            Broken();
            if (_completed) ReleaseBuffer();
            _source.SetResult(new FlushResult(false, true));
        }
    }

    private void TryCompleteCanceled()
    {
        if (!_parked.TryClaimForCancel()) return;
        _source.SetResult(new FlushResult(isCanceled: true, isCompleted: false));
    }

    /// <summary>Sends what is buffered until done or the socket would block.</summary>
    private Send SendNow()
    {
        if (_broken) return Send.Broken;
        if (_sent == _written) { ReleaseBuffer(); return Send.Done; }
        if (!connection.Descriptor.TryAcquire(out int fd)) return Broken();
        try
        {
            while (_sent < _written)
            {
                nint n;
                fixed (byte* p = &_buffer![_sent]) n = LinuxNative.send(fd, p, _written - _sent, LinuxNative.MSG_NOSIGNAL);
                if (n >= 0) { _sent += (int)n; continue; }
                int errno = LinuxNative.Errno;
                if (errno == LinuxNative.EINTR) continue;
                if (errno == LinuxNative.EAGAIN) return Send.WouldBlock;
                return Broken();
            }
        }
        finally { connection.Descriptor.Release(); }
        ReleaseBuffer();
        return Send.Done;
    }

    /// <summary>The peer is gone (EPIPE, reset) or we closed: further flushes report IsCompleted; bytes are dropped.</summary>
    private Send Broken()
    {
        _broken = true;
        _sent = _written;
        connection.OnPeerClosed();
        return Send.Broken;
    }

    private void MakeRoom(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        int needed = Math.Max(1, sizeHint);
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(MinimumBuffer, needed));
            _sent = _written = 0;
            return;
        }
        if (_buffer.Length - _written >= needed) return;
        int unsent = _written - _sent;
        var target = unsent + needed <= _buffer.Length ? _buffer : ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, unsent + needed));
        _buffer.AsSpan(_sent, unsent).CopyTo(target);
        if (!ReferenceEquals(target, _buffer)) ArrayPool<byte>.Shared.Return(_buffer);
        (_buffer, _sent, _written) = (target, 0, unsent);
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        _sent = _written = 0;
    }

    FlushResult IValueTaskSource<FlushResult>.GetResult(short token) => _source.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource<FlushResult>.GetStatus(short token) => _source.GetStatus(token);
    void IValueTaskSource<FlushResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
