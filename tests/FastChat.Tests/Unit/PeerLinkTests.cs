using FastChat.Protocol.Frames;
using FastChat.Server.Cluster;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Routing;

namespace FastChat.Tests.Unit;

public class PeerLinkTests
{
    private static RouteResult Forward(PeerLink link, ParkedRoutes parked, long version) =>
        link.TryForward(new RouteRequest("bob"u8, DeliveryKind.Message, 7, "alice"u8, "alice", "hi"u8), 5, null, 7, parked, version);

    [Fact]
    public void A_forward_checked_against_the_parking_before_a_hand_back_began_or_ended_must_look_again()
    {
        var parked = new ParkedRoutes(16, TimeSpan.FromSeconds(30), TimeProvider.System);
        var link = new PeerLink("node2", 16);
        long before = parked.HandBackVersion;
        Assert.Equal(RouteResult.Pending, Forward(link, parked, before));

        parked.BeginHandBack(); // a refusal: the link's entries are on their way to the parking
        Assert.Equal(RouteResult.Retry, Forward(link, parked, before));
        long during = parked.HandBackVersion;
        parked.EndHandBack();
        // Checked the parking while the hand-back ran (it may not have held them yet): look again.
        Assert.Equal(RouteResult.Retry, Forward(link, parked, during));
        Assert.Equal(RouteResult.Pending, Forward(link, parked, parked.HandBackVersion));
        Assert.Equal(2, link.OutboxCount); // the two that went; the refused attempts left nothing behind
    }

    private sealed class NoFrames : IPeerFrameHandler
    {
        public bool OnFrame(PeerSession session, in Frame frame) => true;
    }

    private static PeerSession Session(PeerLink link) =>
        new(link, new System.IO.Pipelines.Pipe().Reader, new System.IO.Pipelines.Pipe().Writer, new FastChat.Protocol.Noise.NoiseTransport(), new NoFrames());

    [Fact]
    public async Task Answers_about_one_session_are_never_written_on_the_next()
    {
        // The peer restarted: its new incarnation numbers its forwards from 1 again, so an ack
        // queued for the old session would mark the new forwards delivered (and lose them).
        var parked = new ParkedRoutes(16, TimeSpan.FromSeconds(30), TimeProvider.System);
        var link = new PeerLink("node3", 16);
        var old = Session(link);
        link.Attach(old, [1]);
        byte[] staleAck = new byte[PeerFrames.AckLength];
        PeerFrames.WriteAck(staleAck, 92);
        link.SendOn(old, staleAck);
        Assert.Equal(RouteResult.Pending, Forward(link, parked, parked.HandBackVersion));
        link.Detach(old);

        var next = Session(link);
        link.Attach(next, [2]);
        link.SendOn(old, staleAck); // the old session's tracker answering late
        Assert.Empty(link.TakeBackFrom(old, 1, [3])); // a refusal read on the old session
        var batch = new List<byte[]>();
        await link.TakeAsync(next, batch, CancellationToken.None);

        Assert.Equal(2, batch.Count);
        Assert.Equal([2], batch[0]); // the new hello
        Assert.Equal((byte)PeerFrameType.Forward, batch[1][0]); // the unanswered forward, resent
        Assert.Equal(1, link.Depth); // still unanswered: only the new session's answer settles it
    }
}
