using System.Buffers.Binary;
using FastChat.Protocol.Wire;

namespace FastChat.Protocol.Frames;

/// <summary>
/// SEND_DEVICES (protocol-spec/13-devices.md): one message encrypted once per device of the
/// recipient, in one frame, so the recipient's home can check that the sender covered exactly the
/// devices of the current signed list. Hand-laid like SEND (big-endian):
/// <c>msgId u64 | toLen u8 | to | copies</c>, where
/// <c>copies = generation u64 | count u8 | count × (device u8 | len u16 | payload)</c>, devices in
/// ascending order. The server forwards <c>copies</c> between nodes as one opaque payload.
/// </summary>
public static class DeviceCopyFrames
{
    private const int H = ProtocolLimits.FrameHeaderLength;
    private const int CopiesFixed = 8 + 1;
    private const int CopyFixed = 1 + 2;

    public static int CopiesLength(IReadOnlyList<(byte Device, byte[] Payload)> copies) =>
        CopiesFixed + copies.Sum(c => CopyFixed + c.Payload.Length);

    public static int SendDevicesLength(int toLength, IReadOnlyList<(byte Device, byte[] Payload)> copies) =>
        H + 8 + 1 + toLength + CopiesLength(copies);

    /// <summary>Writes a whole SEND_DEVICES frame; copies must be in ascending device order.</summary>
    public static int WriteSendDevices(Span<byte> destination, ulong messageId, ReadOnlySpan<byte> to, ulong generation,
        IReadOnlyList<(byte Device, byte[] Payload)> copies)
    {
        int body = 8 + 1 + to.Length + CopiesLength(copies);
        FrameHeader.Write(destination, FrameType.SendDevices, body);
        var b = destination.Slice(H, body);
        BinaryPrimitives.WriteUInt64BigEndian(b, messageId);
        b[8] = checked((byte)to.Length);
        to.CopyTo(b[9..]);
        var c = b[(9 + to.Length)..];
        BinaryPrimitives.WriteUInt64BigEndian(c, generation);
        c[8] = checked((byte)copies.Count);
        int at = CopiesFixed;
        foreach (var (device, payload) in copies)
        {
            c[at] = device;
            BinaryPrimitives.WriteUInt16BigEndian(c[(at + 1)..], checked((ushort)payload.Length));
            payload.CopyTo(c[(at + CopyFixed)..]);
            at += CopyFixed + payload.Length;
        }
        return H + body;
    }

    /// <summary>Splits a SEND_DEVICES body; the copies are checked by <see cref="TryReadCopies"/>.</summary>
    public static bool TryParseSendDevices(ReadOnlySpan<byte> body, out ulong messageId, out ReadOnlySpan<byte> to, out ReadOnlySpan<byte> copies) =>
        MessageFrames.TryParseSend(body, out messageId, out to, out copies);

    /// <summary>
    /// Checks the copies section: 1 to <see cref="ProtocolLimits.MaxDevicesPerUser"/> copies,
    /// device ids 1-16 strictly ascending, lengths exactly filling the section. Writes the device
    /// ids to <paramref name="devices"/> (at least 16 long).
    /// </summary>
    public static bool TryReadCopies(ReadOnlySpan<byte> copies, out ulong generation, Span<byte> devices, out int count)
    {
        generation = 0; count = 0;
        if (copies.Length < CopiesFixed) return false;
        generation = BinaryPrimitives.ReadUInt64BigEndian(copies);
        int n = copies[8];
        if (n is < 1 or > ProtocolLimits.MaxDevicesPerUser) return false;
        int at = CopiesFixed;
        for (int i = 0; i < n; i++)
        {
            if (copies.Length < at + CopyFixed) return false;
            byte device = copies[at];
            if (device is < DeviceAddress.Primary or > ProtocolLimits.MaxDevicesPerUser || (i > 0 && device <= devices[i - 1])) return false;
            devices[i] = device;
            at += CopyFixed + BinaryPrimitives.ReadUInt16BigEndian(copies[(at + 1)..]);
        }
        if (at != copies.Length) return false;
        count = n;
        return true;
    }

    /// <summary>The payload of copy <paramref name="index"/> of a section <see cref="TryReadCopies"/> accepted.</summary>
    public static ReadOnlySpan<byte> CopyAt(ReadOnlySpan<byte> copies, int index)
    {
        int at = CopiesFixed;
        for (int i = 0; ; i++)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(copies[(at + 1)..]);
            if (i == index) return copies.Slice(at + CopyFixed, length);
            at += CopyFixed + length;
        }
    }
}
