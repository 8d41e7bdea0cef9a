namespace FastChat.Server.Transport;

/// <summary>The epoll transport's settings (Hosting maps them from the FastChat:* settings).</summary>
internal sealed record EpollTransportOptions
{
    /// <summary>Event loops: threads doing all socket I/O and record processing.</summary>
    public int EventLoops { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);
    /// <summary>Pending connections the kernel queues before accept (capped by net.core.somaxconn).</summary>
    public int ListenBacklog { get; init; } = 4096;
}
