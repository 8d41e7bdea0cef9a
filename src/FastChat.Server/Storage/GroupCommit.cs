using System.Diagnostics;
using FastChat.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Storage;

/// <summary>Something that acknowledges work once a commit covers it.</summary>
internal interface ICommitWaiter
{
    /// <summary>Called under the commit lock just before the commit starts: note what it will cover.</summary>
    void CaptureCommitPoint();

    /// <summary>Called after the commit is durable.</summary>
    void OnCommitted();
}

/// <summary>
/// Group commit. Writers finish their store write, then enlist (<see cref="Enlist"/>); the loop
/// swaps the enlisted batch under a lock and commits the write-ahead log once, which covers every
/// write completed before the swap, then tells the batch. Nothing is acknowledged early.
/// </summary>
internal sealed class GroupCommit : IDisposable
{
    private readonly FasterStore _store;
    private readonly FastChatMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly object _lock = new();
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private List<ICommitWaiter> _pending = new();
    private List<ICommitWaiter> _committing = new();
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

    /// <summary>The lock writers take to update what they will acknowledge.</summary>
    public object SyncRoot => _lock;

    /// <summary>Adds a waiter to the next commit; call with <see cref="SyncRoot"/> held.</summary>
    public void EnlistLocked(ICommitWaiter waiter)
    {
        _pending.Add(waiter);
        MarkDirty();
    }

    public void Enlist(ICommitWaiter waiter)
    {
        lock (_lock) EnlistLocked(waiter);
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
        var waiter = new TaskWaiter();
        Enlist(waiter);
        return waiter.Task;
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
        List<ICommitWaiter> batch;
        lock (_lock)
        {
            if (Volatile.Read(ref _dirty) == 0 && _pending.Count == 0) return;
            Volatile.Write(ref _dirty, 0);
            batch = _pending;
            _pending = _committing;
            _committing = batch;
            foreach (var waiter in batch) waiter.CaptureCommitPoint();
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _store.CommitAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Waiters stay unacknowledged; clients retry and the server deduplicates.
            _logger.LogError(ex, "Group commit failed; {Count} waiters not acknowledged.", batch.Count);
            lock (_lock) { _pending.AddRange(batch); }
            batch.Clear();
            MarkDirty();
            await Task.Delay(100).ConfigureAwait(false);
            return;
        }
        _metrics.Commit(Stopwatch.GetElapsedTime(started), batch.Count);
        foreach (var waiter in batch)
        {
            try { waiter.OnCommitted(); }
            catch (Exception ex) { _logger.LogError(ex, "Commit waiter failed."); }
        }
        batch.Clear();
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

    private sealed class TaskWaiter : ICommitWaiter
    {
        private readonly TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task Task => _tcs.Task;
        public void CaptureCommitPoint() { }
        public void OnCommitted() => _tcs.TrySetResult();
    }
}
