using Microsoft.Extensions.Logging;

namespace FastChat.Server.Storage;

/// <summary>
/// The store: a FASTER log as write-ahead log (the durable truth) and a FASTER KV as the live
/// index rebuilt from it at start. Each write goes to the WAL and then the KV under the key's
/// stripe lock, so both see one order per key. <see cref="GroupCommit"/> makes writes durable
/// with one WAL commit per batch; <see cref="RewriteLogAsync"/> keeps the WAL from growing forever.
/// </summary>
internal sealed class FasterStore : IDisposable
{
    private const int StripeCount = 1024;
    private const int MaxValueLength = 65536;
    private readonly object[] _stripes = Enumerable.Range(0, StripeCount).Select(_ => new object()).ToArray();
    private readonly KvIndex _kv;
    private readonly WriteAheadLog _wal;
    private readonly ILogger _logger;
    private int _disposed;

    public FasterStore(string directory, int memoryMegabytes, ILogger logger, int indexBuckets = KvIndex.DefaultBuckets)
    {
        _logger = logger;
        _wal = new WriteAheadLog(Path.Combine(directory, "wal"));
        _kv = new KvIndex(Path.Combine(directory, "kv"), memoryMegabytes, indexBuckets);
        var started = System.Diagnostics.Stopwatch.StartNew();
        RecoveredRecords = _wal.Replay((op, key, value) =>
        {
            if (op == WalOp.Upsert) _kv.Upsert(key, value);
            else _kv.Delete(key);
        });
        _logger.LogInformation("Recovered {Records} log records from {Directory} in {Ms} ms.", RecoveredRecords, directory, started.ElapsedMilliseconds);
    }

    /// <summary>How many WAL records were replayed at start.</summary>
    public long RecoveredRecords { get; }

    public long WalBytes => _wal.TailAddress - _wal.BeginAddress;
    public long WalBeginAddress => _wal.BeginAddress;
    public long KvBeginAddress => _kv.BeginAddress;
    public long KvTailAddress => _kv.TailAddress;

    /// <summary>Set once at start in cluster mode (replication); null on a single node, where it costs one test per write.</summary>
    public IStoreWriteObserver? Observer { get; set; }

    private IStoreKeyWatcher? _keyWatcher;

    /// <summary>Hangs the one cache of stored records on every write (the device-set cache); set once, at construction of its owner.</summary>
    public void Watch(IStoreKeyWatcher watcher)
    {
        if (Interlocked.CompareExchange(ref _keyWatcher, watcher, null) is not null) throw new InvalidOperationException("the store already has a key watcher");
    }

    public void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        lock (StripeOf(key))
        {
            _wal.Append(WalOp.Upsert, key, value);
            _kv.Upsert(key, value);
            _keyWatcher?.OnKeyWritten(key);
            Observer?.OnWrite(WalOp.Upsert, key, value);
        }
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        lock (StripeOf(key))
        {
            _wal.Append(WalOp.Delete, key, default);
            _kv.Delete(key);
            _keyWatcher?.OnKeyWritten(key);
            Observer?.OnWrite(WalOp.Delete, key, default);
        }
    }

    public delegate void LiveRecordHandler(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>
    /// Hands <paramref name="key"/>'s current value to <paramref name="onRecord"/>, read and handed
    /// over under the key's stripe lock: nothing written to that key can come between, so an
    /// observer that sees both gets them in the store's order. False when the key is gone.
    /// </summary>
    public bool ReadLive(byte[] key, LiveRecordHandler onRecord)
    {
        lock (StripeOf(key))
        {
            var value = _kv.Read(key);
            if (value is null) return false;
            onRecord(key, value);
            return true;
        }
    }

    /// <inheritdoc cref="KvIndex.Read(ReadOnlySpan{byte}, Span{byte})"/>
    public int Read(ReadOnlySpan<byte> key, Span<byte> destination) => _kv.Read(key, destination);

    /// <summary>Reads a value of any size (allocates; for rare lookups).</summary>
    public byte[]? Read(ReadOnlySpan<byte> key) => _kv.Read(key);

    /// <summary>Every live key, for whole-store sweeps (hand-offs); values are read one by one afterwards.</summary>
    public List<byte[]> LiveKeys() => _kv.LiveKeys();

    /// <summary>Makes every write completed before this call durable.</summary>
    public ValueTask CommitAsync() => _wal.CommitAsync();

    /// <summary>Compacts the KV's own log (dead records of delivered messages) below the given address.</summary>
    public long CompactIndex(long untilAddress) => _kv.Compact(untilAddress);

    /// <summary>
    /// Rewrites the WAL as a snapshot of the live state, like an append-only-file rewrite: mark
    /// the current tail, append every live key's current value after it (read and appended under
    /// the key's lock, so no concurrent write to that key can slip between), commit, then drop
    /// everything before the mark. Replaying from the mark rebuilds the same state. Returns the
    /// records and bytes of the snapshot itself (not what concurrent writers appended meanwhile).
    /// </summary>
    public async Task<(long Records, long Bytes)> RewriteLogAsync()
    {
        long mark;
        // All stripes held: every write before the mark is in both the WAL and the KV.
        foreach (var stripe in _stripes) Monitor.Enter(stripe);
        try { mark = _wal.TailAddress; }
        finally { foreach (var stripe in _stripes) Monitor.Exit(stripe); }

        long copied = 0, bytes = 0;
        var buffer = new byte[MaxValueLength];
        foreach (var key in _kv.LiveKeys())
        {
            lock (StripeOf(key))
            {
                int n = _kv.Read(key, buffer);
                if (n == -1) continue; // deleted since the scan
                // Values never exceed a record, but never drop one that would.
                var value = n >= 0 ? buffer.AsSpan(0, n) : _kv.Read(key);
                if (value.IsEmpty && n < -1) continue;
                _wal.Append(WalOp.Upsert, key, value);
                copied++;
                bytes += WriteAheadLog.RecordLength(key.Length, value.Length);
            }
        }
        await _wal.CommitAsync().ConfigureAwait(false);
        _wal.TruncateUntil(mark);
        await _wal.CommitAsync().ConfigureAwait(false);
        return (copied, bytes);
    }

    private object StripeOf(ReadOnlySpan<byte> key)
    {
        uint hash = 2166136261;
        foreach (var b in key) hash = (hash ^ b) * 16777619;
        return _stripes[hash % StripeCount];
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _kv.Dispose();
        _wal.Dispose();
    }
}
