using System.Text.Json.Serialization;
using FastChat.Server.Cluster;
using FastChat.Server.Cluster.Peers;

namespace FastChat.Server.Operations;

/// <summary>What <c>GET /cluster</c> answers: this node's view of the ring, the members and its peer links.</summary>
public sealed record ClusterReport(
    [property: JsonPropertyName("self")] string Self,
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("partitions")] int Partitions,
    [property: JsonPropertyName("changing")] bool Changing,
    [property: JsonPropertyName("held_entries")] int HeldEntries,
    [property: JsonPropertyName("members")] ClusterReport.Member[] Members,
    [property: JsonPropertyName("links")] ClusterReport.Link[] Links)
{
    public sealed record Member(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("live")] bool Live,
        [property: JsonPropertyName("leaving")] bool Leaving,
        [property: JsonPropertyName("client")] string? Client,
        [property: JsonPropertyName("owns")] int Owns,
        [property: JsonPropertyName("will_own")] int WillOwn);

    public sealed record Link(
        [property: JsonPropertyName("peer")] string Peer,
        [property: JsonPropertyName("connected")] bool Connected,
        [property: JsonPropertyName("depth")] int Depth,
        [property: JsonPropertyName("rtt_us")] long RttMicroseconds,
        [property: JsonPropertyName("sessions")] long Sessions,
        [property: JsonPropertyName("frames_sent")] long FramesSent,
        [property: JsonPropertyName("frames_received")] long FramesReceived,
        [property: JsonPropertyName("forwards_acked")] long ForwardsAcked);

    internal static ClusterReport Of(ClusterState state, PeerMesh mesh, ParkedRoutes held)
    {
        var view = state.View;
        var table = view.Table;
        var ids = view.Members.Keys.Concat(table?.Nodes ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var members = ids.Select(id =>
        {
            var record = view.Live(id);
            int willOwn = table is null ? 0 : Enumerable.Range(0, table.Partitions).Count(p => table.NextOwnerOf(p) == id);
            return new Member(id, record is not null, record?.Leaving ?? false, record?.ClientEndpoint, table?.CountOwnedBy(id) ?? 0, willOwn);
        }).ToArray();
        var links = mesh.Links.Values.OrderBy(l => l.RemoteId, StringComparer.Ordinal).Select(l => new Link(l.RemoteId, l.Metrics.IsConnected, l.Depth,
            l.Metrics.RttMicroseconds, l.Metrics.Sessions, l.Metrics.FramesSent, l.Metrics.FramesReceived, l.Metrics.Acked)).ToArray();
        return new ClusterReport(view.SelfId, view.Epoch, table?.Partitions ?? 0, table?.InTransition ?? false, held.Count, members, links);
    }
}

[JsonSerializable(typeof(ClusterReport))]
[JsonSourceGenerationOptions(WriteIndented = true)]
public sealed partial class OperationsJson : JsonSerializerContext;
