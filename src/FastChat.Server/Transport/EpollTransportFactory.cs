using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Transport;

/// <summary>
/// Kestrel's transport for FastChat on Linux: event loops (one epoll thread each), accept4 and
/// recv/send on raw descriptors, no pipes, no per-connection <c>Socket</c>. Accepted connections
/// are dealt to the loops in turn. Registered after Kestrel's socket transport, so Kestrel binds
/// with this one (it prefers the last factory registered).
/// </summary>
internal sealed class EpollTransportFactory(EpollTransportOptions options, ILoggerFactory loggers) : IConnectionListenerFactory, IDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("FastChat.Transport");
    private readonly Lock _lock = new();
    private EpollEventLoop[]? _engines;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip) throw new NotSupportedException($"the epoll transport listens on IP endpoints, not {endpoint}");
        EpollEventLoop[] engines;
        lock (_lock) engines = _engines ??= Enumerable.Range(0, options.EventLoops).Select(i => new EpollEventLoop(_logger, i)).ToArray();
        return new(new EpollListener(engines, ip, options.ListenBacklog, _logger));
    }

    public void Dispose()
    {
        lock (_lock)
            foreach (var engine in _engines ?? []) engine.Dispose();
    }
}
