using System.Diagnostics.Metrics;
namespace FastChat.Server.Cluster.Peers;

/// <summary>Per-link observable instruments on the FastChat.Server meter, tagged with the peer's node id.</summary>
internal static class PeerLinkInstruments
{
    public static void Register(Meter meter, PeerMesh mesh, ClusterState state, ParkedRoutes held)
    {
        meter.CreateObservableGauge("fastchat.peer.queue_depth", () => Each(mesh, l => (long)l.Depth), description: "Frames queued or unanswered per peer link");
        meter.CreateObservableCounter("fastchat.peer.frames_sent", () => Each(mesh, l => l.Metrics.FramesSent));
        meter.CreateObservableCounter("fastchat.peer.frames_received", () => Each(mesh, l => l.Metrics.FramesReceived));
        meter.CreateObservableCounter("fastchat.peer.bytes_sent", () => Each(mesh, l => l.Metrics.BytesSent), "By");
        meter.CreateObservableCounter("fastchat.peer.bytes_received", () => Each(mesh, l => l.Metrics.BytesReceived), "By");
        meter.CreateObservableCounter("fastchat.peer.forwards_acked", () => Each(mesh, l => l.Metrics.Acked), description: "Forwards this node sent that their home acknowledged as durable");
        meter.CreateObservableCounter("fastchat.peer.sessions", () => Each(mesh, l => l.Metrics.Sessions), description: "Link sessions established (first connect and reconnects)");
        meter.CreateObservableGauge("fastchat.peer.rtt", () => Each(mesh, l => l.Metrics.RttMicroseconds), "us", "Last heartbeat round trip");
        meter.CreateObservableGauge("fastchat.peer.connected", () => Each(mesh, l => l.Metrics.IsConnected ? 1L : 0L));
        meter.CreateObservableGauge("fastchat.cluster.epoch", () => state.View.Epoch);
        meter.CreateObservableGauge("fastchat.cluster.members", () => (long)state.View.Members.Count);
        meter.CreateObservableGauge("fastchat.cluster.held_entries", () => (long)held.Count, description: "Entries waiting for a moving partition's new home");
        meter.CreateObservableGauge("fastchat.cluster.changing", () => state.View.Table?.InTransition == true ? 1L : 0L, description: "1 while an ownership change is under way");
        meter.CreateObservableGauge("fastchat.cluster.partitions_owned", () => (long)(state.View.Table?.CountOwnedBy(state.View.SelfId) ?? 0));
    }

    private static IEnumerable<Measurement<long>> Each(PeerMesh mesh, Func<PeerLink, long> read) =>
        mesh.Links.Values.Select(l => new Measurement<long>(read(l), new KeyValuePair<string, object?>("peer", l.RemoteId)));
}
