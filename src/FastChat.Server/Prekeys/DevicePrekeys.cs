using System.Buffers.Binary;
using FastChat.Protocol.Frames;

namespace FastChat.Server.Prekeys;

/// <summary>
/// What one device published, as stored under <c>P|device|user</c>. One record per device, so
/// handing out a one-time prekey (take it, write the rest back) is a single store write: atomic,
/// and replicated and handed off like every other record. Layout (big-endian): version u8 = 1 |
/// registration id u32 | identity key 33 | signed prekey id u32 | signed prekey 33 | signature 64 |
/// signed prekey uploaded ms i64 | hand-out window start ms i64 | hand-outs in window u16 |
/// stock count u16 | count × (id u32 | key 33).
/// </summary>
internal sealed class DevicePrekeys
{
    private const byte Version = 1;
    private const int KeyLength = 33;
    private const int FixedLength = 1 + 4 + KeyLength + 4 + KeyLength + SignedPrekey.SignatureLength + 8 + 8 + 2 + 2;
    private const int EntryLength = 4 + KeyLength;

    public required uint RegistrationId { get; set; }
    public required byte[] IdentityKey { get; set; }
    public required SignedPrekey SignedPrekey { get; set; }
    public long SignedPrekeyUploadedMs { get; set; }
    public long HandoutWindowStartMs { get; set; }
    public int HandoutsInWindow { get; set; }
    /// <summary>Oldest first: handed out in upload order.</summary>
    public List<OneTimePrekey> Stock { get; } = [];

    public byte[] Encode()
    {
        var value = new byte[FixedLength + Stock.Count * EntryLength];
        var span = value.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], RegistrationId);
        IdentityKey.CopyTo(span[5..]);
        int at = 5 + KeyLength;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], SignedPrekey.Id);
        SignedPrekey.PublicKey.CopyTo(span[(at + 4)..]);
        SignedPrekey.Signature.CopyTo(span[(at + 4 + KeyLength)..]);
        at += 4 + KeyLength + SignedPrekey.SignatureLength;
        BinaryPrimitives.WriteInt64BigEndian(span[at..], SignedPrekeyUploadedMs);
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 8)..], HandoutWindowStartMs);
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 16)..], (ushort)HandoutsInWindow);
        BinaryPrimitives.WriteUInt16BigEndian(span[(at + 18)..], (ushort)Stock.Count);
        at += 20;
        foreach (var key in Stock)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[at..], key.Id);
            key.PublicKey.CopyTo(span[(at + 4)..]);
            at += EntryLength;
        }
        return value;
    }

    /// <summary>Null for a record this version does not read (the store holds only what this code wrote).</summary>
    public static DevicePrekeys? Decode(ReadOnlySpan<byte> value)
    {
        if (value.Length < FixedLength || value[0] != Version) return null;
        int at = 5 + KeyLength;
        var record = new DevicePrekeys
        {
            RegistrationId = BinaryPrimitives.ReadUInt32BigEndian(value[1..]),
            IdentityKey = value.Slice(5, KeyLength).ToArray(),
            SignedPrekey = new SignedPrekey(BinaryPrimitives.ReadUInt32BigEndian(value[at..]), value.Slice(at + 4, KeyLength).ToArray(),
                value.Slice(at + 4 + KeyLength, SignedPrekey.SignatureLength).ToArray()),
        };
        at += 4 + KeyLength + SignedPrekey.SignatureLength;
        record.SignedPrekeyUploadedMs = BinaryPrimitives.ReadInt64BigEndian(value[at..]);
        record.HandoutWindowStartMs = BinaryPrimitives.ReadInt64BigEndian(value[(at + 8)..]);
        record.HandoutsInWindow = BinaryPrimitives.ReadUInt16BigEndian(value[(at + 16)..]);
        int count = BinaryPrimitives.ReadUInt16BigEndian(value[(at + 18)..]);
        at += 20;
        if (value.Length != at + count * EntryLength) return null;
        for (int i = 0; i < count; i++, at += EntryLength)
            record.Stock.Add(new OneTimePrekey(BinaryPrimitives.ReadUInt32BigEndian(value[at..]), value.Slice(at + 4, KeyLength).ToArray()));
        return record;
    }
}
