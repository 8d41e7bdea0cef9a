using System.Buffers.Binary;
using System.Net;

namespace FastChat.Server.Transport;

/// <summary>The remote address of a connected socket descriptor, decoded from its sockaddr (IPv4 or IPv6).</summary>
internal static class PeerAddress
{
    private const ushort AfInet = 2, AfInet6 = 10;

    public static unsafe IPEndPoint? Of(int fd)
    {
        const int Size = 28; // sizeof(struct sockaddr_in6), the larger of the two
        byte* address = stackalloc byte[Size];
        int length = Size;
        if (LinuxNative.getpeername(fd, address, &length) != 0) return null;
        var bytes = new ReadOnlySpan<byte>(address, Math.Min(length, Size));
        ushort family = BitConverter.ToUInt16(bytes); // sa_family is in host order
        int port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        return family switch
        {
            AfInet when bytes.Length >= 8 => new IPEndPoint(new IPAddress(bytes.Slice(4, 4)), port),
            AfInet6 when bytes.Length >= 24 => new IPEndPoint(new IPAddress(bytes.Slice(8, 16), BinaryPrimitives.ReadUInt32LittleEndian(bytes[24..])), port),
            _ => null,
        };
    }
}
