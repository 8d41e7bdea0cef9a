using System.Buffers;
using FastChat.Protocol.Wire;
using MessagePack;

namespace FastChat.Protocol.Frames;

/// <summary>A signed prekey as the directory holds it: Signal's 33-byte public key and the identity key's XEdDSA signature of it.</summary>
public sealed record SignedPrekey(uint Id, byte[] PublicKey, byte[] Signature)
{
    public const int SignatureLength = 64;

    internal void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(3);
        w.Write(Id); w.Write(PublicKey); w.Write(Signature);
    }

    internal static SignedPrekey Read(ref MessagePackReader r)
    {
        if (r.ReadArrayHeader() != 3) throw new MessagePackSerializationException("signed prekey: 3 fields");
        return new SignedPrekey(r.ReadUInt32(), PrekeyWire.ReadKey(ref r), PrekeyWire.ReadBytes(ref r, SignatureLength));
    }
}

/// <summary>A one-time prekey: handed out at most once.</summary>
public sealed record OneTimePrekey(uint Id, byte[] PublicKey)
{
    internal void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(2);
        w.Write(Id); w.Write(PublicKey);
    }

    internal static OneTimePrekey Read(ref MessagePackReader r)
    {
        if (r.ReadArrayHeader() != 2) throw new MessagePackSerializationException("one-time prekey: 2 fields");
        return new OneTimePrekey(r.ReadUInt32(), PrekeyWire.ReadKey(ref r));
    }
}

/// <summary>What one device publishes for X3DH, as a fetch returns it (the one-time prekey is absent when none was handed out).</summary>
public sealed record DevicePrekeyBundle(uint DeviceId, uint RegistrationId, byte[] IdentityKey, SignedPrekey SignedPrekey, OneTimePrekey? OneTimePrekey)
{
    internal void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(5);
        w.Write(DeviceId); w.Write(RegistrationId); w.Write(IdentityKey);
        SignedPrekey.Write(ref w);
        if (OneTimePrekey is null) w.WriteNil(); else OneTimePrekey.Write(ref w);
    }

    internal static DevicePrekeyBundle Read(ref MessagePackReader r)
    {
        if (r.ReadArrayHeader() != 5) throw new MessagePackSerializationException("bundle: 5 fields");
        return new DevicePrekeyBundle(r.ReadUInt32(), r.ReadUInt32(), PrekeyWire.ReadKey(ref r), SignedPrekey.Read(ref r),
            r.TryReadNil() ? null : OneTimePrekey.Read(ref r));
    }
}

/// <summary>
/// PREKEY_UPLOAD: the device's identity key and registration id, optionally a new signed prekey
/// (nil keeps the current one), and one-time prekeys to add to its stock.
/// </summary>
public sealed record PrekeyUploadBody(ulong RequestId, uint RegistrationId, byte[] IdentityKey, SignedPrekey? SignedPrekey,
    IReadOnlyList<OneTimePrekey> OneTimePrekeys) : IControlBody
{
    public FrameType Type => FrameType.PrekeyUpload;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(5);
        w.Write(RequestId); w.Write(RegistrationId); w.Write(IdentityKey);
        if (SignedPrekey is null) w.WriteNil(); else SignedPrekey.Write(ref w);
        w.WriteArrayHeader(OneTimePrekeys.Count);
        foreach (var key in OneTimePrekeys) key.Write(ref w);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out PrekeyUploadBody value) =>
        ControlFrames.TryParse(body, 5, out value, (ref MessagePackReader r) =>
        {
            ulong requestId = r.ReadUInt64();
            uint registrationId = r.ReadUInt32();
            var identity = PrekeyWire.ReadKey(ref r);
            var signed = r.TryReadNil() ? null : SignedPrekey.Read(ref r);
            int count = r.ReadArrayHeader();
            if (count > ProtocolLimits.MaxPrekeysPerFrame) throw new MessagePackSerializationException("too many prekeys");
            var keys = new OneTimePrekey[count];
            for (int i = 0; i < count; i++) keys[i] = OneTimePrekey.Read(ref r);
            return new PrekeyUploadBody(requestId, registrationId, identity, signed, keys);
        });
}

public enum PrekeyStatusCode
{
    Stored = 0,
    /// <summary>A one-time prekey id repeats one in the upload or the stock.</summary>
    DuplicateId = 1,
    /// <summary>The signed prekey's signature does not verify with the identity key.</summary>
    BadSignature = 2,
    /// <summary>The device has no signed prekey yet and the upload brought none.</summary>
    SignedPrekeyRequired = 3,
    /// <summary>More one-time prekeys than one upload or the stock may hold.</summary>
    TooMany = 4,
    RateLimited = 5,
    /// <summary>The account is moving between servers; retry shortly.</summary>
    Unavailable = 6,
}

/// <summary>
/// PREKEY_STATUS: the answer to a PREKEY_UPLOAD (its request id), or, with request id 0, a notice
/// that the stock fell below the low-water mark or the signed prekey is due for rotation.
/// </summary>
public sealed record PrekeyStatusBody(ulong RequestId, PrekeyStatusCode Status, int Stock, int LowWater, uint SignedPrekeyId,
    long SignedPrekeyAgeSeconds, string Message) : IControlBody
{
    public FrameType Type => FrameType.PrekeyStatus;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(7);
        w.Write(RequestId); w.Write((int)Status); w.Write(Stock); w.Write(LowWater); w.Write(SignedPrekeyId);
        w.Write(SignedPrekeyAgeSeconds); w.Write(Message);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out PrekeyStatusBody value) =>
        ControlFrames.TryParse(body, 7, out value, (ref MessagePackReader r) => new PrekeyStatusBody(r.ReadUInt64(),
            (PrekeyStatusCode)r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadUInt32(), r.ReadInt64(), r.ReadString() ?? ""));
}

/// <summary>PREKEY_FETCH: one bundle per device of <paramref name="User"/>.</summary>
public sealed record PrekeyFetchBody(ulong RequestId, string User) : IControlBody
{
    public FrameType Type => FrameType.PrekeyFetch;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(2);
        w.Write(RequestId); w.Write(User);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out PrekeyFetchBody value) =>
        ControlFrames.TryParse(body, 2, out value, (ref MessagePackReader r) => new PrekeyFetchBody(r.ReadUInt64(), r.ReadString() ?? ""));
}

public enum PrekeyFetchStatus
{
    Found = 0,
    UnknownUser = 1,
    /// <summary>The user exists but none of their devices has published prekeys.</summary>
    NoPrekeys = 2,
    RateLimited = 3,
    /// <summary>The user's home server is moving them or cannot be reached; retry after RetryAfterMs.</summary>
    Unavailable = 4,
}

/// <summary>
/// PREKEY_BUNDLES: the answer to a PREKEY_FETCH. The sixth field (optional: absent or nil when
/// the user has published none) is the user's signed device list, against which a client checks
/// that every bundle belongs to a device the account key vouches for.
/// </summary>
public sealed record PrekeyBundlesBody(ulong RequestId, PrekeyFetchStatus Status, string User, IReadOnlyList<DevicePrekeyBundle> Bundles,
    long RetryAfterMs, SignedDeviceList? DeviceList = null) : IControlBody
{
    public FrameType Type => FrameType.PrekeyBundles;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(6);
        w.Write(RequestId); w.Write((int)Status); w.Write(User);
        w.WriteArrayHeader(Bundles.Count);
        foreach (var bundle in Bundles) bundle.Write(ref w);
        w.Write(RetryAfterMs);
        if (DeviceList is null) w.WriteNil(); else DeviceList.Write(ref w);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out PrekeyBundlesBody value) =>
        ControlFrames.TryParse(body, 5, 6, out value, (ref MessagePackReader r, int fields) =>
        {
            ulong requestId = r.ReadUInt64();
            var status = (PrekeyFetchStatus)r.ReadInt32();
            string user = r.ReadString() ?? "";
            int count = r.ReadArrayHeader();
            if (count > ProtocolLimits.MaxDevicesPerUser) throw new MessagePackSerializationException("too many bundles");
            var bundles = new DevicePrekeyBundle[count];
            for (int i = 0; i < count; i++) bundles[i] = DevicePrekeyBundle.Read(ref r);
            long retryAfter = r.ReadInt64();
            var list = fields < 6 || r.TryReadNil() ? null : SignedDeviceList.Read(ref r);
            return new PrekeyBundlesBody(requestId, status, user, bundles, retryAfter, list);
        });
}

internal static class PrekeyWire
{
    /// <summary>Signal's serialised Curve25519 public key: type byte 0x05, then 32 bytes.</summary>
    public const int KeyLength = 33;
    public const byte DjbKeyType = 0x05;

    public static byte[] ReadKey(ref MessagePackReader r)
    {
        var key = ReadBytes(ref r, KeyLength);
        if (key[0] != DjbKeyType) throw new MessagePackSerializationException("not a Curve25519 key");
        return key;
    }

    public static byte[] ReadBytes(ref MessagePackReader r, int length)
    {
        var bytes = r.ReadBytes() ?? throw new MessagePackSerializationException("nil bytes");
        if (bytes.Length != length) throw new MessagePackSerializationException($"expected {length} bytes");
        return bytes.ToArray();
    }
}
