using System.Buffers.Binary;

namespace FastChat.Server.Storage;

/// <summary>
/// Key layout in the one FASTER store: a kind byte, then fields. A device's queue and sender
/// state are keyed by its address (<see cref="Protocol.Wire.DeviceAddress"/>, at most 35 bytes),
/// so every key fits in <see cref="MaxLength"/> bytes on the stack.
/// </summary>
internal static class StoreKeys
{
    public const int MaxLength = 1 + 8 + Protocol.Wire.DeviceAddress.MaxLength;

    private const byte Account = (byte)'A';
    private const byte QueueMeta = (byte)'M';
    private const byte QueueItem = (byte)'Q';
    private const byte HighWater = (byte)'H';
    private const byte Rejected = (byte)'R';
    private const byte SharedEntry = (byte)'S';
    private const byte DevicePrekeys = (byte)'P';
    private const byte DeviceListRecord = (byte)'D';
    private const byte GroupRecord = (byte)'G';
    private const byte PresenceRecord = (byte)'L';
    private const byte MediaQuotaRecord = (byte)'B';

    public static int AccountKey(Span<byte> key, ReadOnlySpan<byte> user) => Prefixed(key, Account, user);
    public static int MetaKey(Span<byte> key, ReadOnlySpan<byte> user) => Prefixed(key, QueueMeta, user);
    public static int HighWaterKey(Span<byte> key, ReadOnlySpan<byte> user) => Prefixed(key, HighWater, user);
    public static int RejectedKey(Span<byte> key, ReadOnlySpan<byte> user) => Prefixed(key, Rejected, user);

    /// <summary>A user's signed device list: <c>D|user</c>.</summary>
    public static int DeviceListKey(Span<byte> key, ReadOnlySpan<byte> user) => Prefixed(key, DeviceListRecord, user);

    /// <summary>A group's record: <c>G|#hex</c> (its address, so it partitions as its address does).</summary>
    public static int GroupKey(Span<byte> key, ReadOnlySpan<byte> groupAddress) => Prefixed(key, GroupRecord, groupAddress);

    /// <summary>A user's presence settings and last seen: <c>L|user</c>.</summary>
    public static int PresenceKey(Span<byte> key, ReadOnlySpan<byte> user) => Prefixed(key, PresenceRecord, user);

    /// <summary>A user's media upload allowance used today: <c>B|user</c>.</summary>
    public static int MediaQuotaKey(Span<byte> key, ReadOnlySpan<byte> user) => Prefixed(key, MediaQuotaRecord, user);

    /// <summary>The user of an account record or device list key (what a device set depends on); false for other keys.</summary>
    public static bool TryGetDeviceSetUser(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> user)
    {
        user = key.Length > 1 && key[0] is Account or DeviceListRecord ? key[1..] : default;
        return !user.IsEmpty;
    }

    /// <summary>An entry stored once for many queues (group fan-out): <c>S|id</c>, id up to 40 bytes chosen by its writer.</summary>
    public static int SharedKey(Span<byte> key, ReadOnlySpan<byte> id) => Prefixed(key, SharedEntry, id);

    /// <summary>A device's published prekeys: <c>P|device u8|user</c> (device ids are 1-255).</summary>
    public static int PrekeyKey(Span<byte> key, ReadOnlySpan<byte> user, byte device)
    {
        key[0] = DevicePrekeys;
        key[1] = device;
        user.CopyTo(key[2..]);
        return 2 + user.Length;
    }

    public static int ItemKey(Span<byte> key, ReadOnlySpan<byte> user, ulong sequence)
    {
        key[0] = QueueItem;
        BinaryPrimitives.WriteUInt64BigEndian(key[1..], sequence);
        user.CopyTo(key[9..]);
        return 9 + user.Length;
    }

    /// <summary>The user or device address a key belongs to; false for keys of no single user (shared entries).</summary>
    public static bool TryGetUser(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> user)
    {
        user = key.Length == 0 ? default : key[0] switch
        {
            Account or QueueMeta or HighWater or Rejected or DeviceListRecord or GroupRecord or PresenceRecord or MediaQuotaRecord => key[1..],
            QueueItem when key.Length > 9 => key[9..],
            DevicePrekeys when key.Length > 2 => key[2..],
            _ => default,
        };
        return !user.IsEmpty;
    }

    private static int Prefixed(Span<byte> key, byte kind, ReadOnlySpan<byte> user)
    {
        key[0] = kind;
        user.CopyTo(key[1..]);
        return 1 + user.Length;
    }
}
