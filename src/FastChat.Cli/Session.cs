using FastChat.Client;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Cli;

/// <summary>Connects a profile's client: pins the server key on first use (like SSH) and checks it after.</summary>
public static class Session
{
    public static FastChatClient CreateClient(Profile profile, string user)
    {
        // "host:port[,host:port...]": the first is dialled, the rest are seeds of the same cluster.
        var servers = profile.Server.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var (host, port) = ParseServer(servers[0]);
        return new FastChatClient(new FastChatClientOptions
        {
            Host = host,
            Port = port,
            Seeds = servers[1..],
            UserName = user,
            StaticPrivateKey = profile.LoadOrCreateKey(),
            ServerPublicKey = profile.ServerKey is null ? null : Convert.FromHexString(profile.ServerKey),
            StateStore = profile,
            ClientSoftware = "fastchat-cli/1",
        });
    }

    public static async Task<(FastChatClient Client, WelcomeBody Welcome)> ConnectAsync(Profile profile, Action<FastChatClient>? subscribe = null)
    {
        var user = profile.UserName ?? throw new CliException("this profile has no user yet: run 'fastchat register <name>' first");
        var client = CreateClient(profile, user);
        subscribe?.Invoke(client); // before connecting, so no early delivery is missed
        var welcome = await client.ConnectAsync();
        PinServerKey(profile, client);
        if (welcome.State != WelcomeState.Authenticated)
        {
            await client.DisposeAsync();
            throw new CliException($"the server does not know '{user}' yet: run 'fastchat register {user}'");
        }
        return (client, welcome);
    }

    /// <summary>
    /// Pins the first server's key (trust on first use); when a cluster redirected the client, the
    /// home node it ended on (whose key the redirecting, pinned server vouched for) becomes the
    /// profile's server, the others staying as seeds.
    /// </summary>
    public static void PinServerKey(Profile profile, FastChatClient client)
    {
        if (client.ServerPublicKey is null) return;
        var servers = profile.Server.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var (host, port) = client.Server;
        string reached = Endpoints.Format(host, port);
        bool moved = servers.Count == 0 || ParseServer(servers[0]) != client.Server;
        if (profile.ServerKey is not null && !moved) return;
        if (moved)
        {
            servers.Remove(reached);
            servers.Insert(0, reached);
            profile.Server = string.Join(',', servers);
        }
        profile.ServerKey = Convert.ToHexString(client.ServerPublicKey).ToLowerInvariant();
        profile.Save();
    }

    public static (string Host, int Port) ParseServer(string server) =>
        Endpoints.TryParse(server, out var host, out int port) ? (host, port) : (server, 5222);
}

public sealed class CliException(string message) : Exception(message);
