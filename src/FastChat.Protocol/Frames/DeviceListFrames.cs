using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using FastChat.Protocol.Wire;
using MessagePack;

namespace FastChat.Protocol.Frames;

/// <summary>One device of an account: its id (1 is the primary, which holds the account key), its Noise static key and its Signal identity key.</summary>
public sealed record DeviceEntry(byte DeviceId, byte[] NoiseKey, byte[] IdentityKey)
{
    public const int NoiseKeyLength = 32;
}

/// <summary>
/// The statement a signed device list signs: which devices an account has, in a fixed byte layout
/// (spec 13-devices.md) so anyone can check the signature with an existing library:
/// <c>"FastChat-DeviceList-v1" | user length u8 | user | generation u64 | issued ms u64 | count u8 |
/// count × (device id u8 | Noise key 32 | identity key 33)</c>, big-endian, devices in ascending id
/// order and the first one the primary (id 1). Its identity key is the account key that signs.
/// </summary>
public sealed record DeviceList(string User, ulong Generation, long IssuedMs, IReadOnlyList<DeviceEntry> Devices)
{
    public const byte PrimaryDevice = 1;
    public static ReadOnlySpan<byte> Domain => "FastChat-DeviceList-v1"u8;

    /// <summary>The primary's entry; its identity key is the account key.</summary>
    public DeviceEntry Primary => Devices[0];

    public DeviceEntry? Find(byte deviceId) => Devices.FirstOrDefault(d => d.DeviceId == deviceId);

    public DeviceEntry? FindByNoiseKey(ReadOnlySpan<byte> noiseKey)
    {
        foreach (var device in Devices)
            if (noiseKey.SequenceEqual(device.NoiseKey)) return device;
        return null;
    }

    /// <summary>The bytes to sign; throws when the list breaks a rule <see cref="TryDecode"/> checks.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[Domain.Length + 1 + User.Length + 8 + 8 + 1 + Devices.Count * EntryLength];
        var span = bytes.AsSpan();
        Domain.CopyTo(span);
        int at = Domain.Length;
        span[at++] = (byte)User.Length;
        at += Encoding.ASCII.GetBytes(User, span[at..]);
        BinaryPrimitives.WriteUInt64BigEndian(span[at..], Generation); at += 8;
        BinaryPrimitives.WriteInt64BigEndian(span[at..], IssuedMs); at += 8;
        span[at++] = (byte)Devices.Count;
        foreach (var device in Devices)
        {
            span[at++] = device.DeviceId;
            device.NoiseKey.CopyTo(span[at..]); at += DeviceEntry.NoiseKeyLength;
            device.IdentityKey.CopyTo(span[at..]); at += PrekeyWire.KeyLength;
        }
        if (!TryDecode(bytes, out _)) throw new ArgumentException("not a valid device list (see DeviceList.TryDecode)");
        return bytes;
    }

    private const int EntryLength = 1 + DeviceEntry.NoiseKeyLength + PrekeyWire.KeyLength;

    /// <summary>
    /// Without allocating, for a statement <see cref="TryDecode"/> accepted before (the server's
    /// stored list, read per send): its generation, the device ids in order, and the primary's Noise key.
    /// </summary>
    public static bool TryPeek(ReadOnlySpan<byte> statement, out ulong generation, Span<byte> deviceIds, out int count, out ReadOnlySpan<byte> primaryNoiseKey)
    {
        generation = 0; count = 0; primaryNoiseKey = default;
        if (!statement.StartsWith(Domain)) return false;
        var rest = statement[Domain.Length..];
        if (rest.Length < 1 || rest.Length < 1 + rest[0] + 17) return false;
        rest = rest[(1 + rest[0])..];
        generation = BinaryPrimitives.ReadUInt64BigEndian(rest);
        int n = rest[16];
        rest = rest[17..];
        if (n < 1 || n > ProtocolLimits.MaxDevicesPerUser || rest.Length != n * EntryLength) return false;
        for (int i = 0; i < n; i++) deviceIds[i] = rest[i * EntryLength];
        primaryNoiseKey = rest.Slice(1, DeviceEntry.NoiseKeyLength);
        count = n;
        return true;
    }

    /// <summary>
    /// Parses a statement: the domain, a valid user name, 1 to <see cref="ProtocolLimits.MaxDevicesPerUser"/>
    /// devices with ascending ids starting at the primary, distinct Noise keys, Curve25519 identity keys, nothing after.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> statement, out DeviceList list)
    {
        list = null!;
        if (!statement.StartsWith(Domain)) return false;
        var rest = statement[Domain.Length..];
        if (rest.Length < 1 || rest.Length < 1 + rest[0] + 17) return false;
        string user = Encoding.ASCII.GetString(rest.Slice(1, rest[0]));
        if (!UserName.IsValid(user)) return false;
        rest = rest[(1 + rest[0])..];
        ulong generation = BinaryPrimitives.ReadUInt64BigEndian(rest);
        long issued = BinaryPrimitives.ReadInt64BigEndian(rest[8..]);
        int count = rest[16];
        rest = rest[17..];
        if (count < 1 || count > ProtocolLimits.MaxDevicesPerUser || rest.Length != count * EntryLength) return false;
        var devices = new DeviceEntry[count];
        for (int i = 0; i < count; i++)
        {
            var entry = rest.Slice(i * EntryLength, EntryLength);
            byte id = entry[0];
            if (i == 0 ? id != PrimaryDevice : id <= devices[i - 1].DeviceId) return false;
            var noise = entry.Slice(1, DeviceEntry.NoiseKeyLength).ToArray();
            var identity = entry[(1 + DeviceEntry.NoiseKeyLength)..].ToArray();
            if (identity[0] != PrekeyWire.DjbKeyType) return false;
            for (int j = 0; j < i; j++)
                if (devices[j].NoiseKey.AsSpan().SequenceEqual(noise)) return false;
            devices[i] = new DeviceEntry(id, noise, identity);
        }
        list = new DeviceList(user, generation, issued, devices);
        return true;
    }
}

/// <summary>A device list statement and the account key's XEdDSA signature of exactly those bytes.</summary>
public sealed record SignedDeviceList(byte[] Statement, byte[] Signature)
{
    public const int SignatureLength = 64;

    /// <summary>The parsed statement (always valid: <see cref="Read"/> and the frames refuse others).</summary>
    public DeviceList List => DeviceList.TryDecode(Statement, out var list) ? list : throw new InvalidOperationException("invalid statement");

    internal void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(2);
        w.Write(Statement); w.Write(Signature);
    }

    internal static SignedDeviceList Read(ref MessagePackReader r)
    {
        if (r.ReadArrayHeader() != 2) throw new MessagePackSerializationException("signed device list: 2 fields");
        var statement = (r.ReadBytes() ?? throw new MessagePackSerializationException("nil statement")).ToArray();
        if (!DeviceList.TryDecode(statement, out _)) throw new MessagePackSerializationException("invalid device list statement");
        return new SignedDeviceList(statement, PrekeyWire.ReadBytes(ref r, SignatureLength));
    }
}

/// <summary>DEVICE_LIST_PUBLISH: the primary publishes a new signed list of its account's devices.</summary>
public sealed record DeviceListPublishBody(ulong RequestId, SignedDeviceList List) : IControlBody
{
    public FrameType Type => FrameType.DeviceListPublish;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(2);
        w.Write(RequestId);
        List.Write(ref w);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out DeviceListPublishBody value) =>
        ControlFrames.TryParse(body, 2, out value, (ref MessagePackReader r) => new DeviceListPublishBody(r.ReadUInt64(), SignedDeviceList.Read(ref r)));
}

public enum DeviceListStatusCode
{
    Stored = 0,
    /// <summary>The signature does not verify with the primary's identity key.</summary>
    BadSignature = 1,
    /// <summary>The generation is not above the stored list's.</summary>
    StaleGeneration = 2,
    /// <summary>The list is not the publisher's account, or the publisher is not its primary device.</summary>
    NotPrimary = 3,
    /// <summary>The primary's identity key (the account key) differs from the stored list's; only a new registration changes it.</summary>
    AccountKeyChanged = 4,
    /// <summary>More devices than the server allows an account.</summary>
    TooManyDevices = 5,
    /// <summary>The account is moving between servers; retry shortly.</summary>
    Unavailable = 6,
}

/// <summary>DEVICE_LIST_STATUS: the answer to a DEVICE_LIST_PUBLISH, with the generation now stored (0: none).</summary>
public sealed record DeviceListStatusBody(ulong RequestId, DeviceListStatusCode Status, ulong Generation, string Message) : IControlBody
{
    public FrameType Type => FrameType.DeviceListStatus;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(4);
        w.Write(RequestId); w.Write((int)Status); w.Write(Generation); w.Write(Message);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out DeviceListStatusBody value) =>
        ControlFrames.TryParse(body, 4, out value, (ref MessagePackReader r) =>
            new DeviceListStatusBody(r.ReadUInt64(), (DeviceListStatusCode)r.ReadInt32(), r.ReadUInt64(), r.ReadString() ?? ""));
}
