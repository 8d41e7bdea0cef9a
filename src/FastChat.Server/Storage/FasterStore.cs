using FASTER.core;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Storage;

/// <summary>
/// The in-process FASTER KV store (byte keys, byte values) under the data directory. Durability
/// comes from fold-over hybrid-log checkpoints taken by <see cref="GroupCommit"/>; on start the
/// newest checkpoint is recovered. Sessions are pooled: a FASTER session is single-threaded.
/// </summary>
internal sealed class FasterStore : IDisposable
{
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly IDevice _log;
    private readonly SessionPool _sessions;
    private readonly ILogger _logger;
    private readonly string _directory;
    private int _disposed;

    public FasterStore(string directory, int memoryMegabytes, ILogger logger)
    {
        _logger = logger;
        _directory = directory;
        Directory.CreateDirectory(directory);
        _log = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), preallocateFile: false);
        int memoryBits = Math.Max(24, (int)Math.Floor(Math.Log2(memoryMegabytes * 1024.0 * 1024.0)));
        _kv = new FasterKV<SpanByte, SpanByte>(
            1L << 20,
            new LogSettings { LogDevice = _log, MemorySizeBits = memoryBits, PageSizeBits = 22 },
            new CheckpointSettings { CheckpointDir = Path.Combine(directory, "checkpoints"), RemoveOutdated = true });
        Recovered = TryRecover();
        _sessions = new SessionPool(_kv, Math.Max(4, 2 * Environment.ProcessorCount));
    }

    /// <summary>Whether an earlier checkpoint was found and recovered.</summary>
    public bool Recovered { get; }

    public long TailAddress => _kv.Log.TailAddress;

    private bool TryRecover()
    {
        // A store with checkpoints must recover or fail loudly: starting empty would lose
        // everything it acknowledged.
        var checkpoints = Path.Combine(_directory, "checkpoints");
        if (!Directory.Exists(checkpoints) || !Directory.EnumerateFileSystemEntries(checkpoints, "*", SearchOption.AllDirectories).Any(File.Exists))
        {
            _logger.LogInformation("No checkpoint in {Directory}; starting an empty store.", _directory);
            return false;
        }
        _kv.Recover();
        _logger.LogInformation("Recovered store in {Directory} to log tail {Tail}.", _directory, _kv.Log.TailAddress);
        return true;
    }

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
    /// Copies the live records of the oldest part of the log to its tail and moves the begin
    /// address past them; the next checkpoint truncates the file. Returns the new begin address.
    /// </summary>
    public long Compact(long untilAddress)
    {
        untilAddress = Math.Min(untilAddress, _kv.Log.SafeReadOnlyAddress);
        if (untilAddress <= _kv.Log.BeginAddress) return _kv.Log.BeginAddress;
        int slot = _sessions.Rent();
        try { return _sessions[slot].Compact(untilAddress, CompactionType.Lookup); }
        finally { _sessions.Return(slot); }
    }

    /// <summary>Makes every operation completed before this call durable.</summary>
    public async ValueTask CheckpointAsync()
    {
        var checkpoint = _kv.TakeHybridLogCheckpointAsync(CheckpointType.FoldOver).AsTask();
        // A CPR checkpoint advances only as each session moves to the new version, which a
        // session does when it runs an operation. Sessions idle in the pool would stall it, so
        // nudge the idle ones, then give it a moment (a tight loop here burned a core).
        while (!checkpoint.IsCompleted)
        {
            _sessions.RefreshIdle();
            await Task.WhenAny(checkpoint, Task.Delay(1)).ConfigureAwait(false);
        }
        var (success, _) = await checkpoint.ConfigureAwait(false);
        if (!success) throw new InvalidOperationException("FASTER refused the checkpoint.");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _sessions.Dispose();
        _kv.Dispose();
        _log.Dispose();
    }
}
