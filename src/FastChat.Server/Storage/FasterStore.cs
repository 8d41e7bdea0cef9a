using Microsoft.Extensions.Logging;

namespace FastChat.Server.Storage;

/// <summary>
/// The store: a FASTER KV as the live state, and a FASTER log as write-ahead log (the durable
/// truth, replayed into a fresh KV at start). A write changes the KV and is staged in its key's
/// <see cref="WriteStripe"/>, both under that stripe's lock. Group commit cuts every stripe at
/// once (<see cref="Cut"/>) and writes the batch to the log coalesced — each key's last state,
/// nothing for a key created and removed within the batch — then commits it
/// (<see cref="CommitCutAsync"/>). Each batch is recovered whole or not at all, so after a crash
/// the state is exactly the state at some commit. <see cref="RewriteLogAsync"/> keeps the log
/// from growing forever.
/// </summary>
internal sealed class FasterStore : IDisposable
{
    // Few enough that the cut (every stripe's lock, once per commit) stays a few microseconds.
    private const int StripeCount = 256;
    private const int MaxValueLength = 65536;
    private readonly WriteStripe[] _stripes = Enumerable.Range(0, StripeCount).Select(_ => new WriteStripe()).ToArray();
    private readonly KvIndex _kv;
    private readonly WriteAheadLog _wal;
    private readonly ILogger _logger;
    private readonly BatchCoalescer _coalescer = new();        // the committer's
    private readonly List<WriteStripe> _cut = new();               // the committer's: stripes with a batch taken
    private readonly SemaphoreSlim _flushGate = new(1, 1);      // a batch's log entries are appended without a rewrite's mark between them
    private int _disposed;

    public FasterStore(string directory, int memoryMegabytes, ILogger logger)
    {
        _logger = logger;
        _wal = new WriteAheadLog(Path.Combine(directory, "wal"));
        _kv = new KvIndex(Path.Combine(directory, "kv"), memoryMegabytes);
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

    /// <summary>Operations staged and operations written to the log by the last committed batch.</summary>
    public (long Staged, long Written) LastBatch { get; private set; }

    public void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(StagedOp.Upsert, key, value);

    /// <summary>An upsert of a key the caller knows is absent (a new queue entry): removed before the commit, it never reaches the log.</summary>
    public void Insert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(StagedOp.Insert, key, value);

    public void Delete(ReadOnlySpan<byte> key) => Write(StagedOp.Delete, key, default);

    private void Write(StagedOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var stripe = StripeOf(key);
        lock (stripe)
        {
            stripe.Stage(op, key, value);
            if (op == StagedOp.Delete) _kv.Delete(key);
            else _kv.Upsert(key, value);
        }
    }

    /// <inheritdoc cref="KvIndex.Read(ReadOnlySpan{byte}, Span{byte})"/>
    public int Read(ReadOnlySpan<byte> key, Span<byte> destination) => _kv.Read(key, destination);

    /// <summary>Reads a value of any size (allocates; for rare lookups).</summary>
    public byte[]? Read(ReadOnlySpan<byte> key) => _kv.Read(key);

    /// <summary>
    /// The committer's first step: with every stripe locked, runs <paramref name="closeEpoch"/> and
    /// takes everything staged, so every write is either in this batch or after it.
    /// </summary>
    public void Cut(Action closeEpoch)
    {
        int entered = 0;
        try
        {
            for (; entered < _stripes.Length; entered++) Monitor.Enter(_stripes[entered]);
            closeEpoch();
            foreach (var stripe in _stripes)
                if (stripe.Swap()) _cut.Add(stripe);
        }
        finally
        {
            for (int i = 0; i < entered; i++) Monitor.Exit(_stripes[i]);
        }
    }

    /// <summary>The committer's second step: writes the cut batch, coalesced, and commits the log. Durable when this completes.</summary>
    public async ValueTask CommitCutAsync()
    {
        await _flushGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _coalescer.Reset();
            foreach (var stripe in _cut) _coalescer.Coalesce(stripe.Taken, _wal);
            _cut.Clear();
            _coalescer.Finish(_wal);
            LastBatch = (_coalescer.Staged, _coalescer.Written);
            if (!_wal.FullyCommitted) await _wal.CommitAsync().ConfigureAwait(false);
        }
        finally
        {
            _cut.Clear();
            _flushGate.Release();
        }
    }

    /// <summary>Compacts the KV's own log (dead records of delivered messages) below the given address.</summary>
    public long CompactIndex(long untilAddress) => _kv.Compact(untilAddress);

    /// <summary>
    /// Rewrites the WAL as a snapshot of the live state, like an append-only-file rewrite: mark the
    /// log's tail between two batches, stage every live key's current value as an ordinary write
    /// (so the copies travel in the batches, in order with everything else), wait until a commit
    /// covers them, then drop everything before the mark. Replaying from the mark rebuilds the same
    /// state. Returns the records and bytes of the snapshot itself.
    /// </summary>
    public async Task<(long Records, long Bytes)> RewriteLogAsync(Func<Task> waitForCommit)
    {
        long mark;
        // Every batch flushed before the mark is in the KV; every later one comes after the mark.
        await _flushGate.WaitAsync().ConfigureAwait(false);
        try { mark = _wal.TailAddress; }
        finally { _flushGate.Release(); }

        long copied = 0, bytes = 0;
        var buffer = new byte[MaxValueLength];
        foreach (var key in _kv.LiveKeys())
        {
            var stripe = StripeOf(key);
            lock (stripe)
            {
                int n = _kv.Read(key, buffer);
                if (n == -1) continue; // deleted since the scan
                // Values never exceed a record, but never drop one that would.
                var value = n >= 0 ? buffer.AsSpan(0, n) : _kv.Read(key);
                if (value.IsEmpty && n < -1) continue;
                stripe.Stage(StagedOp.Upsert, key, value);
                copied++;
                bytes += WriteAheadLog.OperationLength(key.Length, value.Length);
            }
        }
        await waitForCommit().ConfigureAwait(false);
        _wal.TruncateUntil(mark);
        await waitForCommit().ConfigureAwait(false);
        return (copied, bytes);
    }

    private WriteStripe StripeOf(ReadOnlySpan<byte> key)
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
        _flushGate.Dispose();
    }
}
