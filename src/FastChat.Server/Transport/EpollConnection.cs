using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace FastChat.Server.Transport;

/// <summary>
/// One accepted TCP connection on the epoll transport, as Kestrel's <see cref="ConnectionContext"/>.
/// Per idle connection this is the whole transport cost: this object, its reader and writer
/// (no buffers while idle), the descriptor handle and an engine slot. It is also its own
/// feature collection (see the Features part), so no dictionary is allocated per connection.
/// </summary>
internal sealed partial class EpollConnection : ConnectionContext, IDuplexPipe, IEpollTarget
{
    private readonly EpollEventLoop _engine;
    private readonly ulong _key;
    private readonly long _number;
    private readonly SocketReader _reader;
    private readonly SocketWriter _writer;
    private uint _armed;
    private bool _registered;
    private string? _connectionId;
    private IDictionary<object, object?>? _items;
    private CancellationTokenSource? _closedSource;
    private bool _closed;
    private int _disposed;

    public EpollConnection(EpollEventLoop engine, SocketDescriptor descriptor, long number)
    {
        _engine = engine;
        Descriptor = descriptor;
        _number = number;
        _reader = new SocketReader(this);
        _writer = new SocketWriter(this);
        _key = engine.Register(this);
    }

    public SocketDescriptor Descriptor { get; }

    /// <summary>Set by <see cref="Abort(ConnectionAbortedException)"/>: what pending and later reads report.</summary>
    public ConnectionAbortedException? AbortReason { get; private set; }

    public override string ConnectionId
    {
        get => _connectionId ?? $"fc-{_number:x}"; // not cached: a string per idle connection is not worth keeping
        set => _connectionId = value;
    }

    /// <summary>
    /// Asked of the kernel when read (getpeername), not kept: few readers want it (HTTP requests,
    /// peer-link logs), and every idle client connection would pay for the field.
    /// </summary>
    public override System.Net.EndPoint? RemoteEndPoint
    {
        get
        {
            if (!Descriptor.TryAcquire(out int fd)) return null;
            try { return PeerAddress.Of(fd); }
            finally { Descriptor.Release(); }
        }
        set => throw new NotSupportedException("the epoll transport reads the peer address from the socket");
    }

    /// <summary>
    /// The connection's own pipes, unless middleware layered a stream over them (TLS, on the media
    /// endpoint): that replacement is kept in <see cref="Items"/>, so a client connection pays no field for it.
    /// </summary>
    public override IDuplexPipe Transport
    {
        get => _items is { } items && items.TryGetValue(ReplacedTransportKey, out var replaced) ? (IDuplexPipe)replaced! : this;
        set => Items[ReplacedTransportKey] = value;
    }

    private static readonly object ReplacedTransportKey = new();
    PipeReader IDuplexPipe.Input => _reader;
    PipeWriter IDuplexPipe.Output => _writer;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override CancellationToken ConnectionClosed
    {
        get
        {
            lock (this)
            {
                _closedSource ??= new CancellationTokenSource();
                if (_closed) _closedSource.Cancel();
                return _closedSource.Token;
            }
        }
        set => throw new NotSupportedException("the epoll transport signals ConnectionClosed itself");
    }

    /// <summary>Arms one firing of <paramref name="events"/> on top of what is already armed. False once the descriptor is closed.</summary>
    public bool Arm(uint events)
    {
        if (!Descriptor.TryAcquire(out int fd)) return false;
        try
        {
            lock (this)
            {
                _armed |= events;
                bool ok = _engine.Arm(fd, _key, _armed, add: !_registered);
                _registered = true;
                return ok;
            }
        }
        finally { Descriptor.Release(); }
    }

    void IEpollTarget.OnEvents(uint fired)
    {
        uint wanted;
        lock (this)
        {
            wanted = _armed;
            _armed = 0; // one-shot: the registration is disabled until armed again
        }
        bool failed = (fired & Epoll.Failed) != 0;
        uint rearm = 0;
        if ((wanted & Epoll.Readable) != 0)
        {
            if (failed || (fired & Epoll.Readable) != 0) _reader.OnReadable();
            else rearm |= Epoll.Readable;
        }
        if ((wanted & Epoll.Writable) != 0)
        {
            if (failed || (fired & Epoll.Writable) != 0) _writer.OnWritable();
            else rearm |= Epoll.Writable;
        }
        if (rearm != 0) Arm(rearm);
    }

    /// <summary>What a syscall on a closed descriptor reports.</summary>
    public Exception ClosedError() => AbortReason ?? new ConnectionAbortedException("the connection was closed");

    /// <summary>End of stream or a failed send: fire ConnectionClosed once.</summary>
    public void OnPeerClosed()
    {
        CancellationTokenSource? source;
        lock (this)
        {
            if (_closed) return;
            _closed = true;
            source = _closedSource;
        }
        source?.Cancel();
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        AbortReason ??= abortReason;
        Shutdown(LinuxNative.SHUT_RDWR); // wakes a pending read (end of stream) and fails sends
    }

    public override ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return ValueTask.CompletedTask;
        _reader.Complete();
        _writer.Complete();
        _engine.Unregister(_key);
        Shutdown(LinuxNative.SHUT_RDWR);
        Descriptor.Dispose(); // closes once no syscall holds it
        OnPeerClosed();
        return ValueTask.CompletedTask;
    }

    private void Shutdown(int how)
    {
        if (!Descriptor.TryAcquire(out int fd)) return;
        try { LinuxNative.shutdown(fd, how); }
        finally { Descriptor.Release(); }
    }
}
