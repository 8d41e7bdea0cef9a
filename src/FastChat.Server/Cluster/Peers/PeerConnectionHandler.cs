using Microsoft.AspNetCore.Connections;

namespace FastChat.Server.Cluster.Peers;

/// <summary>Kestrel's entry for the peer port: every connection is a would-be peer link.</summary>
internal sealed class PeerConnectionHandler(PeerMesh mesh) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) => mesh.AcceptAsync(connection);
}
