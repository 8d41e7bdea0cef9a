using System.Runtime.InteropServices;

namespace FastChat.Server.Transport;

/// <summary>The few libc calls the epoll transport makes (Linux, x86-64 and arm64).</summary>
internal static unsafe partial class LinuxNative
{
    private const string Libc = "libc";

    public const int EAGAIN = 11, EINTR = 4, ECONNABORTED = 103, ECONNRESET = 104, EPIPE = 32, EMFILE = 24, ENFILE = 23, ENOBUFS = 105, ENOMEM = 12;
    public const int SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int SHUT_RDWR = 2;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int IPPROTO_TCP = 6, TCP_NODELAY = 1;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010, EPOLLONESHOT = 1u << 30;

    /// <summary>struct epoll_event: packed (12 bytes) on x86-64, naturally aligned (16) elsewhere.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEventPacked { public uint Events; public ulong Data; }

    [StructLayout(LayoutKind.Sequential)]
    public struct EpollEventAligned { public uint Events; public ulong Data; }

    public static bool PackedEpollEvent => RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public static bool IsSupported => OperatingSystem.IsLinux() &&
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, void* ev);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int epoll_wait(int epfd, void* events, int maxEvents, int timeout);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int accept4(int fd, void* address, void* addressLength, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int getpeername(int fd, byte* address, int* addressLength);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int shutdown(int fd, int how);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, int length);

    public static int Errno => Marshal.GetLastPInvokeError();
}
