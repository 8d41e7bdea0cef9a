using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Tasks.Sources;

namespace FastChat.Server.Transport;

/// <summary>
/// The connection's input as a <see cref="PipeReader"/>, reading the socket directly into one
/// pooled buffer. An idle connection holds no buffer: when everything read has been consumed the
/// buffer goes back to the pool, and a read that finds the socket empty parks in this object
/// (one-shot EPOLLIN) until the engine says data is there.
/// </summary>
internal sealed unsafe class SocketReader(EpollConnection connection) : PipeReader, IThreadPoolWorkItem, IValueTaskSource<ReadResult>
{
    private const int InitialBuffer = 8 * 1024;
    private const int MaxBuffer = 1024 * 1024;
    private const int PositionMask = 0x7FFFFFFF; // array-backed sequence positions may carry a flag bit

    private ManualResetValueTaskSourceCore<ReadResult> _source;
    private byte[]? _buffer;
    private int _start, _end, _examined;
    private bool _endOfStream, _completed;
    private Exception? _error;
    private ParkedOperation _parked;
    private CancellationTokenRegistration _tokenRegistration;

    private enum Receive { Data, WouldBlock }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_parked.TakeCancel()) return new(Result(canceled: true));
        if (_error is not null) throw _error;
        if (_end > _examined || _endOfStream) return new(Result());
        if (ReceiveNow() == Receive.Data)
        {
            if (_error is not null) throw _error;
            return new(Result());
        }

        _source.Reset();
        _parked.Park();
        if (cancellationToken.CanBeCanceled)
            _tokenRegistration = cancellationToken.UnsafeRegister(static s => ((SocketReader)s!).CancelPendingRead(), this);
        WaitForData();
        return new ValueTask<ReadResult>(this, _source.Version);
    }

    public override bool TryRead(out ReadResult result)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_parked.TakeCancel()) { result = Result(canceled: true); return true; }
        if (_error is not null) throw _error;
        if (_end > _examined || _endOfStream || ReceiveNow() == Receive.Data)
        {
            if (_error is not null) throw _error;
            result = Result();
            return true;
        }
        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_buffer is null) return;
        if (consumed.GetObject() is not null) _start = consumed.GetInteger() & PositionMask;
        _examined = Math.Max(_start, examined.GetObject() is not null ? examined.GetInteger() & PositionMask : _start);
        if (_start == _end) ReleaseBuffer();
    }

    /// <summary>
    /// Ends a waiting read with IsCanceled (or the next read, if none waits). Completed on the
    /// thread pool, never inline: the caller may be another connection holding its own locks.
    /// A cancelled token passed to ReadAsync does the same.
    /// </summary>
    public override void CancelPendingRead()
    {
        if (_parked.RequestCancel()) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public override void Complete(Exception? exception = null)
    {
        if (_completed) return;
        _completed = true;
        _tokenRegistration.Dispose();
        if (!_parked.IsParked) ReleaseBuffer();
    }

    /// <summary>The engine saw the socket readable (or hung up): receive, and run the reader's continuation, right here.</summary>
    public void OnReadable() => TryComplete();

    void IThreadPoolWorkItem.Execute()
    {
        if (_parked.CancelRequested) TryCompleteCanceled();
        else TryComplete();
    }

    /// <summary>Claims the waiting read and completes it with what the socket has; re-arms if nothing.</summary>
    private void TryComplete()
    {
        if (!_parked.TryClaim()) return; // already completed (cancelled)
        if (ReceiveNow() == Receive.WouldBlock)
        {
            _parked.Park();
            WaitForData();
            return;
        }
        _tokenRegistration.Dispose();
        if (_error is not null) _source.SetException(_error);
        else _source.SetResult(Result());
    }

    /// <summary>With a read pending: arm one EPOLLIN, unless a cancel raced in first.</summary>
    private void WaitForData()
    {
        if (_parked.CancelRequested) TryCompleteCanceled();
        else if (!connection.Arm(Epoll.Readable)) Fail(connection.Descriptor.IsClosed ? connection.ClosedError() : new IOException("epoll_ctl failed"));
    }

    private void Fail(Exception error)
    {
        if (!_parked.TryClaim()) return;
        _error = error;
        _tokenRegistration.Dispose();
        _source.SetException(error);
    }

    private void TryCompleteCanceled()
    {
        if (!_parked.TryClaimForCancel()) return;
        _source.SetResult(Result(canceled: true));
    }

    private ReadResult Result(bool canceled = false) =>
        new(_buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer, _start, _end - _start), canceled, _endOfStream);

    /// <summary>One non-blocking recv into the buffer. Data also covers end of stream and errors (in <see cref="_error"/>).</summary>
    private Receive ReceiveNow()
    {
        if (!MakeRoom()) return Receive.Data;
        if (!connection.Descriptor.TryAcquire(out int fd))
        {
            _error = connection.ClosedError();
            return Receive.Data;
        }
        try
        {
            while (true)
            {
                nint n;
                fixed (byte* p = &_buffer![_end]) n = LinuxNative.recv(fd, p, _buffer.Length - _end, 0);
                if (n > 0) { _end += (int)n; return Receive.Data; }
                if (n == 0)
                {
                    if (connection.AbortReason is { } aborted) _error = aborted; // our own shutdown, not the peer's
                    _endOfStream = true;
                    connection.OnPeerClosed();
                    return Receive.Data;
                }
                int errno = LinuxNative.Errno;
                if (errno == LinuxNative.EINTR) continue;
                if (errno == LinuxNative.EAGAIN)
                {
                    if (_start == _end) ReleaseBuffer();
                    return Receive.WouldBlock;
                }
                _error = connection.AbortReason ?? Epoll.Error(errno, "recv");
                connection.OnPeerClosed();
                return Receive.Data;
            }
        }
        finally { connection.Descriptor.Release(); }
    }

    /// <summary>Free space after <see cref="_end"/>: rent, slide unconsumed bytes to the front, or grow.</summary>
    private bool MakeRoom()
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
            _start = _end = _examined = 0;
            return true;
        }
        if (_buffer.Length - _end >= InitialBuffer / 4) return true;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            (_end, _examined, _start) = (_end - _start, _examined - _start, 0);
            if (_buffer.Length - _end >= InitialBuffer / 4) return true;
        }
        if (_buffer.Length >= MaxBuffer)
        {
            if (_end < _buffer.Length) return true;
            _error = new InvalidDataException($"more than {MaxBuffer} bytes received without the reader consuming any");
            return false;
        }
        var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, _end).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
        return true;
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
        _start = _end = _examined = 0;
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _source.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _source.GetStatus(token);
    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
