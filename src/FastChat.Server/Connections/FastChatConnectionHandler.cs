using Microsoft.AspNetCore.Connections;

namespace FastChat.Server.Connections;

/// <summary>Kestrel hands each accepted TCP connection here.</summary>
internal sealed class FastChatConnectionHandler(ServerContext server) : ConnectionHandler
{
    public override Task OnConnectedAsync(ConnectionContext connection) => new ClientConnection(connection, server).RunAsync();
}
