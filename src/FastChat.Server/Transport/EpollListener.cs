using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Transport;

/// <summary>
/// A listening socket on the epoll transport. The socket is bound with .NET's <see cref="Socket"/>
/// (addresses, port 0, SO_REUSEADDR); connections are taken with accept4 straight into
/// non-blocking descriptors, so no <see cref="Socket"/> object exists per connection.
/// </summary>
internal sealed class EpollListener : IConnectionListener, IEpollTarget
{
    private readonly EpollEventLoop _engine;
    private readonly EpollEventLoop[] _loops;
    private readonly Socket _socket;
    private readonly ILogger _logger;
    private readonly ulong _key;
    private TaskCompletionSource? _ready;
    private bool _registered;
    private long _accepted;
    private long _lastLimitWarning;
    private volatile bool _unbound;

    /// <summary>Listens on <paramref name="endpoint"/>; accepts are watched by the first loop, connections dealt to all in turn.</summary>
    public EpollListener(EpollEventLoop[] loops, IPEndPoint endpoint, int backlog, ILogger logger)
    {
        _loops = loops;
        _engine = loops[0];
        _logger = logger;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any)) _socket.DualMode = true;
        _socket.Bind(endpoint);
        _socket.Listen(backlog);
        // accept4 must answer EAGAIN when nobody waits, not block: AcceptAsync runs on a thread-pool
        // thread, and a blocked one per listener starved the pool (two listeners, two threads: all
        // of a 2-core machine's minimum) until the pool injected more, stalling work for ~0.5-1 s.
        _socket.Blocking = false;
        EndPoint = _socket.LocalEndPoint!;
        _key = _engine.Register(this);
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (!_unbound)
        {
            var (fd, errno) = Accept();
            if (fd >= 0) return Connected(fd);
            if (errno is LinuxNative.EINTR or LinuxNative.ECONNABORTED) continue;
            if (errno == LinuxNative.EAGAIN)
            {
                await WaitReadyAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (errno is LinuxNative.EMFILE or LinuxNative.ENFILE or LinuxNative.ENOBUFS or LinuxNative.ENOMEM)
            {
                // Out of descriptors or memory: refuse nothing ourselves, let the backlog hold them, retry shortly.
                if (Environment.TickCount64 - _lastLimitWarning > 10_000)
                {
                    _lastLimitWarning = Environment.TickCount64;
                    _logger.LogWarning("accept failed with errno {Errno} (descriptor or memory limit); retrying. See tuning/ for file limits.", errno);
                }
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (_unbound) break;
            throw new IOException($"accept4 failed: errno {errno}");
        }
        return null;
    }

    private unsafe (int Fd, int Errno) Accept()
    {
        bool added = false;
        var handle = _socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = LinuxNative.accept4((int)handle.DangerousGetHandle(), null, null, LinuxNative.SOCK_NONBLOCK | LinuxNative.SOCK_CLOEXEC);
            return (fd, fd >= 0 ? 0 : LinuxNative.Errno);
        }
        catch (ObjectDisposedException) { return (-1, -1); }
        finally { if (added) handle.DangerousRelease(); }
    }

    private unsafe EpollConnection Connected(int fd)
    {
        int one = 1;
        LinuxNative.setsockopt(fd, LinuxNative.IPPROTO_TCP, LinuxNative.TCP_NODELAY, &one, sizeof(int)); // small frames go out now
        long number = Interlocked.Increment(ref _accepted);
        return new EpollConnection(_loops[number % _loops.Length], new SocketDescriptor(fd), number);
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _ready, ready);
        bool added = false;
        var handle = _socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            _engine.Arm((int)handle.DangerousGetHandle(), _key, Epoll.Readable, add: !_registered);
            _registered = true;
        }
        catch (ObjectDisposedException) { return; }
        finally { if (added) handle.DangerousRelease(); }
        using (cancellationToken.UnsafeRegister(static s => ((TaskCompletionSource)s!).TrySetCanceled(), ready))
            await ready.Task.ConfigureAwait(false);
    }

    void IEpollTarget.OnEvents(uint events) => Volatile.Read(ref _ready)?.TrySetResult();

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _unbound = true;
        Volatile.Read(ref _ready)?.TrySetResult();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        _engine.Unregister(_key);
    }
}
