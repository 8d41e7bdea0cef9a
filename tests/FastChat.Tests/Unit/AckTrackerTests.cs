using System.Collections.Concurrent;
using FastChat.Server.Sessions;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Unit;

/// <summary>The cumulative ✓ when entries become durable out of order (local commits, later routes) or are refused.</summary>
public class AckTrackerTests
{
    private sealed class Sink : IAckSink
    {
        public readonly ConcurrentQueue<ulong> Acks = new();
        public void SendServerAck(ulong upTo) => Acks.Enqueue(upTo);
        public int Passed;
        public void CommitPassed() => Interlocked.Increment(ref Passed);
    }

    [Fact]
    public async Task A_tracker_waiting_for_a_commit_reports_when_it_stops_waiting()
    {
        using var fixture = new StoreFixture();
        var sink = new Sink();
        var tracker = new AckTracker(fixture.Commit, sink, alreadyAcked: 0);
        Assert.False(tracker.AwaitingCommit);
        tracker.Accepted(1);
        await Eventually.TrueAsync(() => sink.Acks.Contains(1UL));
        await Eventually.TrueAsync(() => !tracker.AwaitingCommit, because: "still waiting after its ack");
        // A retry asks again: the same ack once more, and again nothing left to wait for.
        tracker.Reacknowledge();
        await Eventually.TrueAsync(() => sink.Acks.Count == 2);
        await Eventually.TrueAsync(() => !tracker.AwaitingCommit, because: "still waiting after the repeated ack");
    }

    [Fact]
    public async Task Local_accepts_are_acknowledged_cumulatively_after_their_commit()
    {
        using var fixture = new StoreFixture();
        var sink = new Sink();
        var tracker = new AckTracker(fixture.Commit, sink, alreadyAcked: 0);
        tracker.Accepted(1);
        tracker.Accepted(2);
        await Eventually.TrueAsync(() => sink.Acks.Contains(2UL));
        Assert.All(sink.Acks, a => Assert.True(a is 1 or 2));
    }

    [Fact]
    public async Task A_route_that_answers_later_holds_back_the_ack_of_later_ids()
    {
        using var fixture = new StoreFixture();
        var sink = new Sink();
        var tracker = new AckTracker(fixture.Commit, sink, alreadyAcked: 10);
        tracker.Accepted(11);
        tracker.Routing(12);   // forwarded to a peer: durable only when it says so
        tracker.Accepted(13);
        await Eventually.TrueAsync(() => sink.Acks.Contains(11UL));
        await fixture.Commit.WaitForCommitAsync(); // 13 is durable locally by now
        await fixture.Commit.WaitForCommitAsync();
        Assert.DoesNotContain(13UL, sink.Acks);     // but 12 is not confirmed: no ack may cover it
        tracker.Routed(12, accepted: true);
        await Eventually.TrueAsync(() => sink.Acks.Contains(13UL));
    }

    [Fact]
    public async Task A_refused_route_is_passed_over_but_never_named()
    {
        using var fixture = new StoreFixture();
        var sink = new Sink();
        var tracker = new AckTracker(fixture.Commit, sink, alreadyAcked: 0);
        tracker.Accepted(1);
        tracker.Routing(2);
        await Eventually.TrueAsync(() => sink.Acks.Contains(1UL));
        tracker.Routed(2, accepted: false); // its ERROR went out; nothing new to acknowledge
        tracker.Accepted(3);
        await Eventually.TrueAsync(() => sink.Acks.Contains(3UL));
        Assert.DoesNotContain(2UL, sink.Acks);
    }

    [Fact]
    public async Task A_retry_gets_the_current_ack_again_once_durable()
    {
        using var fixture = new StoreFixture();
        var sink = new Sink();
        var tracker = new AckTracker(fixture.Commit, sink, alreadyAcked: 7);
        tracker.Reacknowledge();
        await Eventually.TrueAsync(() => sink.Acks.Contains(7UL));
        tracker.Reacknowledge();
        await Eventually.TrueAsync(() => sink.Acks.Count(a => a == 7) == 2);
    }

    [Fact]
    public async Task Nothing_is_acknowledged_at_zero()
    {
        using var fixture = new StoreFixture();
        var sink = new Sink();
        var tracker = new AckTracker(fixture.Commit, sink, alreadyAcked: 0);
        tracker.Reacknowledge();
        tracker.Accepted(1); // a later commit tells the tracker; by then the forced ack is due too
        await Eventually.TrueAsync(() => sink.Acks.Contains(1UL));
        Assert.DoesNotContain(0UL, sink.Acks);
    }
}
