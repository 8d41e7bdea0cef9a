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
}
