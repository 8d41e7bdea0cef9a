using FastChat.Client;
using FastChat.Protocol.Frames;

namespace FastChat.Cli;

/// <summary>Connects a profile's client: pins the server key on first use (like SSH) and checks it after.</summary>
public static class Session
{
    public static FastChatClient CreateClient(Profile profile, string user)
    {
        var (host, port) = ParseServer(profile.Server);
        return new FastChatClient(new FastChatClientOptions
        {
            Host = host,
            Port = port,
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

    public static void PinServerKey(Profile profile, FastChatClient client)
    {
        if (profile.ServerKey is not null || client.ServerPublicKey is null) return;
        profile.ServerKey = Convert.ToHexString(client.ServerPublicKey).ToLowerInvariant();
        profile.Save();
    }

    public static (string Host, int Port) ParseServer(string server)
    {
        int colon = server.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(server[(colon + 1)..], out int port)) return (server, 5222);
        return (server[..colon], port);
    }
}

public sealed class CliException(string message) : Exception(message);
