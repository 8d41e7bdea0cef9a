namespace FastChat.Tests.Unit;

public class GroupCommitTests
{
    [Fact]
    public async Task A_write_is_durable_in_the_epoch_read_after_it_and_epochs_only_grow()
    {
        using var fixture = new StoreFixture();
        fixture.Store.Upsert("k"u8, "v"u8);
        long epoch = fixture.Commit.OpenEpoch;
        Assert.True(fixture.Commit.DurableEpoch < epoch);
        await fixture.Commit.WaitForCommitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(fixture.Commit.DurableEpoch >= epoch);
        Assert.True(fixture.Commit.OpenEpoch > epoch);
    }

    [Fact]
    public async Task Waiters_of_many_threads_are_all_told()
    {
        using var fixture = new StoreFixture(TimeSpan.FromMilliseconds(1));
        var waits = Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            fixture.Store.Upsert(BitConverter.GetBytes(i), "v"u8);
            await fixture.Commit.WaitForCommitAsync();
        })).ToArray();
        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_waiter_for_a_later_epoch_is_told_again_until_it_is_covered()
    {
        using var fixture = new StoreFixture();
        var waiter = new CountingWaiter(fixture.Commit);
        fixture.Commit.Enlist(waiter);
        await Infrastructure.Eventually.TrueAsync(() => waiter.Covered);
        var seen = waiter.Seen.ToArray();
        Assert.True(seen.Length >= 2, "the waiter was never told again");
        Assert.All(seen[..^1], e => Assert.True(e < waiter.Target));
        Assert.True(seen[^1] >= waiter.Target);
    }

    [Fact]
    public async Task With_a_barrier_commits_are_published_only_once_it_passes_while_local_waits_are_not_held()
    {
        using var fixture = new StoreFixture();
        var barrier = new Gate();
        fixture.Commit.Barrier = barrier;
        fixture.Store.Upsert("k"u8, "v"u8);
        long durableBefore = fixture.Commit.DurableEpoch;
        var published = fixture.Commit.WaitForCommitAsync();
        await fixture.Commit.WaitForLocalCommitAsync().WaitAsync(TimeSpan.FromSeconds(10)); // on disk here
        await fixture.Commit.WaitForLocalCommitAsync().WaitAsync(TimeSpan.FromSeconds(10)); // and the loop kept committing
        Assert.False(published.IsCompleted);
        Assert.Equal(durableBefore, fixture.Commit.DurableEpoch);
        barrier.Open = true;
        fixture.Commit.Recheck();
        await published.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(fixture.Commit.DurableEpoch > durableBefore);
    }

    private sealed class Gate : FastChat.Server.Storage.IDurabilityBarrier
    {
        public volatile bool Open;
        public object? Capture() => this;
        public bool IsPassed(object ticket) => Open;
    }

    /// <summary>Waits for the epoch two ahead of the open one when first told, re-enlisting until then.</summary>
    private sealed class CountingWaiter(FastChat.Server.Storage.GroupCommit commit) : FastChat.Server.Storage.ICommitWaiter
    {
        public long Target = commit.OpenEpoch + 2;
        public readonly List<long> Seen = new();
        public volatile bool Covered;

        public void OnCommitted(long durableEpoch)
        {
            Seen.Add(durableEpoch);
            if (durableEpoch >= Target) Covered = true;
            else commit.Enlist(this);
        }
    }
}
