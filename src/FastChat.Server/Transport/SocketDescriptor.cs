using System.Runtime.InteropServices;

namespace FastChat.Server.Transport;

/// <summary>
/// A socket file descriptor. Every syscall on it holds a reference, so close() happens only once
/// no call is in flight: a descriptor number reused by a new connection can never receive
/// another connection's bytes.
/// </summary>
internal sealed class SocketDescriptor : SafeHandle
{
    public SocketDescriptor(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    /// <summary>Takes a reference for one syscall; false once the descriptor is closed.</summary>
    public bool TryAcquire(out int fd)
    {
        bool added = false;
        try { DangerousAddRef(ref added); }
        catch (ObjectDisposedException) { }
        fd = added ? (int)handle : -1;
        return added;
    }

    public void Release() => DangerousRelease();

    protected override bool ReleaseHandle() => LinuxNative.close((int)handle) == 0;
}
