using Microsoft.AspNetCore.Connections;

namespace FastChat.Server.Transport;

/// <summary>Event masks and errno → exception mapping shared by the reader, the writer and the listener.</summary>
internal static class Epoll
{
    public const uint Readable = LinuxNative.EPOLLIN;
    public const uint Writable = LinuxNative.EPOLLOUT;
    public const uint Failed = LinuxNative.EPOLLERR | LinuxNative.EPOLLHUP;

    public static Exception Error(int errno, string call) => errno switch
    {
        LinuxNative.ECONNRESET or LinuxNative.EPIPE => new ConnectionResetException($"{call}: connection reset by peer"),
        _ => new IOException($"{call} failed: errno {errno}"),
    };
}
