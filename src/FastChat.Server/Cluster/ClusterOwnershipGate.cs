using FastChat.Server.Storage;

namespace FastChat.Server.Cluster;

/// <summary>A cluster node writes a user's data only while it is the user's home and the user's partition is not moving.</summary>
internal sealed class ClusterOwnershipGate(ClusterState state) : IOwnershipGate
{
    public bool MayWrite(ReadOnlySpan<byte> user) => state.View.OwnsNow(user);
}
