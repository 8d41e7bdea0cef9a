using System.IO.Hashing;
using FastChat.Server.Storage;

namespace FastChat.Server.DeviceLists;

/// <summary>
/// The device set of an account's current list (its generation and device ids as a bit mask), so
/// that checking a send against it reads no store record: a direct-mapped table of 65536 slots by
/// the account's hash. Every store write of an account record or device list bumps its slot's
/// epoch (<see cref="IStoreKeyWatcher"/>), and an entry counts only under the epoch it was read
/// in, so a write by any path — a publish, a hand-off, a replica — never leaves a stale entry,
/// however it races with a reader filling the slot. Accounts sharing a slot just miss more often.
/// </summary>
internal sealed class DeviceSetCache : IStoreKeyWatcher
{
    private const int Slots = 1 << 16;
    private readonly Entry?[] _entries = new Entry?[Slots];
    private readonly int[] _epochs = new int[Slots];

    private sealed class Entry(byte[] account, int epoch, ulong generation, uint devices)
    {
        public readonly byte[] Account = account;
        public readonly int Epoch = epoch;
        public readonly ulong Generation = generation;
        public readonly uint Devices = devices;
    }

    public static int SlotOf(ReadOnlySpan<byte> account) => (int)(XxHash32.HashToUInt32(account) & (Slots - 1));

    /// <summary>Read before the store is: an entry made from that read is valid only while the epoch stays.</summary>
    public int EpochOf(int slot) => Volatile.Read(ref _epochs[slot]);

    public bool TryGet(ReadOnlySpan<byte> account, int slot, out ulong generation, out uint devices)
    {
        var entry = Volatile.Read(ref _entries[slot]);
        if (entry is not null && entry.Epoch == Volatile.Read(ref _epochs[slot]) && entry.Account.AsSpan().SequenceEqual(account))
        {
            (generation, devices) = (entry.Generation, entry.Devices);
            return true;
        }
        (generation, devices) = (0, 0);
        return false;
    }

    public void Add(ReadOnlySpan<byte> account, int slot, int epoch, ulong generation, uint devices) =>
        Volatile.Write(ref _entries[slot], new Entry(account.ToArray(), epoch, generation, devices));

    public void OnKeyWritten(ReadOnlySpan<byte> key)
    {
        if (StoreKeys.TryGetDeviceSetUser(key, out var user)) Interlocked.Increment(ref _epochs[SlotOf(user)]);
    }
}
