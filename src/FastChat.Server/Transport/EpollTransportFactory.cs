using System.Net;
using FastChat.Server.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Transport;

/// <summary>
/// Kestrel's transport for FastChat on Linux: one epoll thread, accept4 and recv/send on raw
/// descriptors, no pipes, no per-connection <c>Socket</c>. Registered after Kestrel's socket
/// transport, so Kestrel binds with this one (it prefers the last factory registered).
/// </summary>
internal sealed class EpollTransportFactory(FastChatOptions options, ILoggerFactory loggers) : IConnectionListenerFactory, IDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("FastChat.Transport");
    private readonly Lock _lock = new();
    private EpollEngine? _engine;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip) throw new NotSupportedException($"the epoll transport listens on IP endpoints, not {endpoint}");
        EpollEngine engine;
        lock (_lock) engine = _engine ??= new EpollEngine(_logger);
        return new(new EpollListener(engine, ip, options.ListenBacklog, _logger));
    }

    public void Dispose()
    {
        lock (_lock) _engine?.Dispose();
    }
}
