using FASTER.core;

namespace FastChat.Server.Storage;

/// <summary>
/// The FASTER KV store holding the live state (accounts, queues, high-water marks): byte keys,
/// byte values, memory first and spilling to its own log file. It is rebuilt from the
/// write-ahead log at start and never checkpointed: FASTER's CPR checkpoints, taken as often as
/// group commit needs, stalled the whole server under load (a session spinning in its retry
/// loop while the checkpoint waited on its metadata write).
/// </summary>
internal sealed class KvIndex : IDisposable
{
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly IDevice _log;
    private readonly SessionPool _sessions;

    /// <summary>
    /// 65,536 buckets: 4 MiB, resident as soon as keys are spread over it (FASTER's index is one
    /// array); 512k keys before buckets start to chain into overflow buckets, which FASTER
    /// allocates as they are needed. The index used to be 2^20 buckets: 64 MiB resident once a
    /// few thousand users were registered.
    /// </summary>
    public const int DefaultBuckets = 1 << 16;

    public KvIndex(string directory, int memoryMegabytes, int buckets = DefaultBuckets)
    {
        // Not authoritative (the WAL is): start from an empty directory every time.
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        _log = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), preallocateFile: false, deleteOnClose: true);
        int memoryBits = Math.Max(24, (int)Math.Floor(Math.Log2(memoryMegabytes * 1024.0 * 1024.0)));
        _kv = new FasterKV<SpanByte, SpanByte>(buckets,
            new LogSettings { LogDevice = _log, MemorySizeBits = memoryBits, PageSizeBits = 20 });
        _sessions = new SessionPool(_kv, Math.Max(4, 2 * Environment.ProcessorCount));
    }

    public long TailAddress => _kv.Log.TailAddress;

    public unsafe void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int slot = _sessions.Rent();
        var session = _sessions[slot];
        try
        {
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                var ks = SpanByte.FromPointer(k, key.Length);
                var vs = SpanByte.FromPointer(v, value.Length);
                if (session.Upsert(ref ks, ref vs).IsPending) session.CompletePending(wait: true);
            }
        }
        finally { _sessions.Return(slot); }
    }

    public unsafe void Delete(ReadOnlySpan<byte> key)
    {
        int slot = _sessions.Rent();
        var session = _sessions[slot];
        try
        {
            fixed (byte* k = key)
            {
                var ks = SpanByte.FromPointer(k, key.Length);
                if (session.Delete(ref ks).IsPending) session.CompletePending(wait: true);
            }
        }
        finally { _sessions.Return(slot); }
    }

    /// <summary>
    /// Reads a value into <paramref name="destination"/>. Returns its length, -1 when absent, or
    /// when larger than the destination, the negated length needed minus one (-(n+1)).
    /// </summary>
    public unsafe int Read(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        int slot = _sessions.Rent();
        var session = _sessions[slot];
        try
        {
            fixed (byte* k = key)
            fixed (byte* d = destination)
            {
                var ks = SpanByte.FromPointer(k, key.Length);
                var output = new SpanByteAndMemory(SpanByte.FromPointer(d, destination.Length));
                var status = session.Read(ref ks, ref output);
                if (status.IsPending)
                {
                    session.CompletePendingWithOutputs(out var completed, wait: true);
                    using (completed)
                    {
                        if (!completed.Next()) return -1;
                        status = completed.Current.Status;
                        output = completed.Current.Output;
                    }
                }
                if (!status.Found) return -1;
                if (output.IsSpanByte)
                {
                    int length = output.SpanByte.Length;
                    // FASTER copies into our span when it fits; a pending read gives its own copy.
                    if (output.SpanByte.ToPointer() != d) output.SpanByte.AsReadOnlySpan().CopyTo(destination);
                    return length;
                }
                using var memory = output.Memory;
                int needed = output.Length;
                if (needed > destination.Length) return -(needed + 1);
                memory.Memory.Span[..needed].CopyTo(destination);
                return needed;
            }
        }
        finally { _sessions.Return(slot); }
    }

    /// <summary>Reads a value of any size (allocates; for rare lookups).</summary>
    public byte[]? Read(ReadOnlySpan<byte> key)
    {
        Span<byte> small = stackalloc byte[256];
        int n = Read(key, small);
        if (n == -1) return null;
        if (n >= 0) return small[..n].ToArray();
        var large = new byte[-n - 1];
        n = Read(key, large);
        return n >= 0 ? large[..n] : null;
    }

    public long BeginAddress => _kv.Log.BeginAddress;

    /// <summary>
    /// Copies the live records of the oldest part of the log to its tail, moves the begin
    /// address past them and truncates the file. Returns the new begin address.
    /// </summary>
    public long Compact(long untilAddress)
    {
        untilAddress = Math.Min(untilAddress, _kv.Log.SafeReadOnlyAddress);
        if (untilAddress <= _kv.Log.BeginAddress) return _kv.Log.BeginAddress;
        int slot = _sessions.Rent();
        try
        {
            long begin = _sessions[slot].Compact(untilAddress, CompactionType.Lookup);
            _kv.Log.Truncate();
            return begin;
        }
        finally { _sessions.Return(slot); }
    }

    /// <summary>Every live key (for rewriting the WAL); values are re-read under the key's lock by the caller.</summary>
    public List<byte[]> LiveKeys()
    {
        var keys = new List<byte[]>();
        int slot = _sessions.Rent();
        try
        {
            using var iterator = _sessions[slot].Iterate();
            while (iterator.GetNext(out var recordInfo))
            {
                if (recordInfo.Tombstone) continue;
                keys.Add(iterator.GetKey().AsReadOnlySpan().ToArray());
            }
        }
        finally { _sessions.Return(slot); }
        return keys;
    }

    public void Dispose()
    {
        _sessions.Dispose();
        _kv.Dispose();
        _log.Dispose();
    }
}
