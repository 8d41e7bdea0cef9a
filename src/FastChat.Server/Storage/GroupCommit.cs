using System.Collections.Concurrent;
using System.Diagnostics;
using FastChat.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Storage;

/// <summary>Something that acknowledges work once a commit covers it.</summary>
internal interface ICommitWaiter
{
    /// <summary>
    /// A commit finished: every write that was complete when <see cref="GroupCommit.OpenEpoch"/>
    /// read <paramref name="durableEpoch"/> or less is durable. A waiter with later epochs still
    /// outstanding enlists again.
    /// </summary>
    void OnCommitted(long durableEpoch);
}

/// <summary>
/// What else must hold a commit's writes before they count as durable (the in-sync replicas):
/// a ticket captured when an epoch closes, passed once every copy it names has the writes.
/// </summary>
internal interface IDurabilityBarrier
{
    /// <summary>Null when nothing beyond the local log needs to hold the writes completed so far.</summary>
    object? Capture();

    bool IsPassed(object ticket);
}

/// <summary>
/// Group commit by epochs. A writer finishes its store write, reads <see cref="OpenEpoch"/> (the
/// commit that will cover that write) and enlists. The loop closes the open epoch, commits the
/// write-ahead log once — which covers every write completed before the epoch closed — and tells
/// the enlisted waiters which epoch is durable. Waiters keep their own state under their own
/// locks; enlisting is lock-free. Nothing is acknowledged early: with a <see cref="Barrier"/>,
/// an epoch is published only once its ticket has passed too (the loop keeps committing
/// meanwhile; waiters are held until then).
/// </summary>
internal sealed class GroupCommit : IDisposable
{
    private readonly FasterStore _store;
    private readonly FastChatMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ICommitWaiter> _waiters = new();
    private readonly List<ICommitWaiter> _batch = new();
    private readonly List<ICommitWaiter> _held = new();
    private readonly ConcurrentQueue<TaskCompletionSource> _localWaiters = new();
    private readonly List<TaskCompletionSource> _localBatch = new();
    private readonly Queue<(long Epoch, object? Ticket)> _awaitingBarrier = new();
    private readonly Task _loop;
    private long _openEpoch = 1;
    private long _durableEpoch;
    private int _dirty;
    private int _signalled;

    public GroupCommit(FasterStore store, FastChatMetrics metrics, ILogger<GroupCommit> logger, TimeSpan interval)
    {
        _store = store;
        _metrics = metrics;
        _logger = logger;
        _interval = interval;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Read after a write: the epoch whose commit makes that write durable.</summary>
    public long OpenEpoch => Volatile.Read(ref _openEpoch);

    /// <summary>The newest epoch known durable.</summary>
    public long DurableEpoch => Volatile.Read(ref _durableEpoch);

    /// <summary>Set once at start (replication); null on a single node.</summary>
    public IDurabilityBarrier? Barrier { get; set; }

    /// <summary>The barrier may have passed: the loop looks again (any thread).</summary>
    public void Recheck()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0) _signal.Release();
    }

    /// <summary>Tells <paramref name="waiter"/> after the next commit (a waiter enlists once per commit it waits for).</summary>
    public void Enlist(ICommitWaiter waiter)
    {
        _waiters.Enqueue(waiter);
        MarkDirty();
    }

    /// <summary>Some write needs to reach disk, though nobody waits for it.</summary>
    public void MarkDirty()
    {
        Volatile.Write(ref _dirty, 1);
        if (Interlocked.Exchange(ref _signalled, 1) == 0) _signal.Release();
    }

    /// <summary>Completes once a commit covers everything done before the call (rare paths).</summary>
    public Task WaitForCommitAsync()
    {
        var waiter = new TaskWaiter(this, OpenEpoch);
        Enlist(waiter);
        return waiter.Task;
    }

    /// <summary>
    /// Completes once the local log covers everything done before the call, without the barrier:
    /// a replica's acknowledgements, which must not wait for its own replicas (two primaries that
    /// replicate to each other would wait in a circle).
    /// </summary>
    public Task WaitForLocalCommitAsync()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _localWaiters.Enqueue(tcs);
        MarkDirty();
        return tcs.Task;
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (true)
        {
            try
            {
                await _signal.WaitAsync(token).ConfigureAwait(false);
                Volatile.Write(ref _signalled, 0);
                // Let a few more writers join this commit.
                if (_interval > TimeSpan.Zero) await Task.Delay(_interval, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { break; }
            await CommitOnceAsync().ConfigureAwait(false);
        }
        await CommitOnceAsync().ConfigureAwait(false);
    }

    private async Task CommitOnceAsync()
    {
        PublishPassed();
        if (Volatile.Read(ref _dirty) == 0 && _waiters.IsEmpty && _localWaiters.IsEmpty) return;
        Volatile.Write(ref _dirty, 0);
        // Close the epoch (a full fence): every write whose writer read this epoch is complete now.
        long closing = Interlocked.Increment(ref _openEpoch) - 1;
        // After the close: the ticket covers every one of those writes (observers see them inside the write).
        var ticket = Barrier?.Capture();
        while (_waiters.TryDequeue(out var waiter)) _batch.Add(waiter);
        while (_localWaiters.TryDequeue(out var local)) _localBatch.Add(local);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _store.CommitAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Waiters stay unacknowledged; clients retry and the server deduplicates.
            _logger.LogError(ex, "Group commit failed; {Count} waiters not acknowledged.", _batch.Count);
            foreach (var waiter in _batch) _waiters.Enqueue(waiter);
            foreach (var local in _localBatch) _localWaiters.Enqueue(local);
            _batch.Clear();
            _localBatch.Clear();
            MarkDirty();
            await Task.Delay(100).ConfigureAwait(false);
            return;
        }
        _metrics.Commit(Stopwatch.GetElapsedTime(started), _batch.Count);
        foreach (var local in _localBatch) local.TrySetResult();
        _localBatch.Clear();
        _held.AddRange(_batch);
        _batch.Clear();
        _awaitingBarrier.Enqueue((closing, ticket));
        PublishPassed();
    }

    /// <summary>Publishes the newest locally committed epoch whose ticket (and every earlier one) has passed.</summary>
    private void PublishPassed()
    {
        long passed = -1;
        while (_awaitingBarrier.TryPeek(out var next) && (next.Ticket is null || Barrier!.IsPassed(next.Ticket)))
        {
            passed = next.Epoch;
            _awaitingBarrier.Dequeue();
        }
        if (passed < 0) return;
        Volatile.Write(ref _durableEpoch, passed);
        foreach (var waiter in _held)
        {
            try { waiter.OnCommitted(passed); }
            catch (Exception ex) { _logger.LogError(ex, "Commit waiter failed."); }
        }
        _held.Clear();
    }

    /// <summary>Stops the loop after a final commit.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        try { _loop.GetAwaiter().GetResult(); }
        catch (Exception ex) { _logger.LogError(ex, "Final commit failed."); }
        _stop.Dispose();
        _signal.Dispose();
    }

    private sealed class TaskWaiter(GroupCommit commit, long epoch) : ICommitWaiter
    {
        private readonly TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task Task => _tcs.Task;

        public void OnCommitted(long durableEpoch)
        {
            if (durableEpoch >= epoch) _tcs.TrySetResult();
            else commit.Enlist(this);
        }
    }
}
