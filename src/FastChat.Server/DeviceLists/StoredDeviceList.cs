using System.Buffers.Binary;
using FastChat.Protocol.Frames;

namespace FastChat.Server.DeviceLists;

/// <summary>
/// A user's signed device list as the store holds it under <c>D|user</c>: version u8 (1) |
/// statement length u16 | statement | signature (64), so it goes back out byte for byte as signed.
/// </summary>
internal static class StoredDeviceList
{
    private const byte Version = 1;

    public static byte[] Encode(SignedDeviceList list)
    {
        var value = new byte[3 + list.Statement.Length + SignedDeviceList.SignatureLength];
        value[0] = Version;
        BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(1), (ushort)list.Statement.Length);
        list.Statement.CopyTo(value, 3);
        list.Signature.CopyTo(value, 3 + list.Statement.Length);
        return value;
    }

    public static SignedDeviceList Decode(ReadOnlySpan<byte> value)
    {
        if (value.Length < 3 || value[0] != Version) throw new InvalidDataException("unknown device list record version");
        int length = BinaryPrimitives.ReadUInt16BigEndian(value[1..]);
        if (value.Length != 3 + length + SignedDeviceList.SignatureLength) throw new InvalidDataException("truncated device list record");
        var statement = value.Slice(3, length).ToArray();
        if (!DeviceList.TryDecode(statement, out _)) throw new InvalidDataException("invalid device list statement in the store");
        return new SignedDeviceList(statement, value[(3 + length)..].ToArray());
    }
}
