using System.Buffers;
using System.Buffers.Binary;

namespace FastChat.Protocol.Wire;

/// <summary>
/// Every Noise message on the wire (handshake or transport record) is prefixed by its length
/// as 2 bytes big-endian; zero-length records are invalid.
/// </summary>
public static class RecordFraming
{
    public const int LengthPrefix = 2;

    /// <summary>Slices one length-prefixed message off the front of <paramref name="buffer"/>.</summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> message, out bool invalid)
    {
        message = default;
        invalid = false;
        if (buffer.Length < LengthPrefix) return false;
        Span<byte> prefix = stackalloc byte[LengthPrefix];
        buffer.Slice(0, LengthPrefix).CopyTo(prefix);
        int length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
        if (length == 0)
        {
            invalid = true;
            return false;
        }
        if (buffer.Length < LengthPrefix + length) return false;
        message = buffer.Slice(LengthPrefix, length);
        buffer = buffer.Slice(LengthPrefix + length);
        return true;
    }

    public static void WriteLength(Span<byte> destination, int length) =>
        BinaryPrimitives.WriteUInt16BigEndian(destination, checked((ushort)length));
}
