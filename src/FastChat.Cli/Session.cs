using FastChat.Client;
using FastChat.Client.Encryption;
using FastChat.Client.Storage;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Cli;

/// <summary>A profile's device, online: its store, a connected client, and end-to-end chat over them.</summary>
public sealed class Session : IAsyncDisposable
{
    public required DeviceStore Device { get; init; }
    public required FastChatClient Client { get; init; }
    public required SecureChat Chat { get; init; }
    public WelcomeBody? Welcome { get; private set; }

    /// <summary>The profile's device with a client that is not connected yet (for offline work, or to connect after subscribing).</summary>
    public static Session Create(Profile profile, DeviceStore device)
    {
        var client = CreateClient(profile, device);
        return new Session { Device = device, Client = client, Chat = new SecureChat(client, device) };
    }

    /// <summary>Opens the profile's device and connects; <paramref name="subscribe"/> runs first, so no early delivery is missed.</summary>
    public static async Task<Session> ConnectAsync(Profile profile, Action<Session>? subscribe = null)
    {
        var session = Create(profile, profile.OpenDevice());
        try
        {
            subscribe?.Invoke(session);
            session.Welcome = await session.Client.ConnectAsync().ConfigureAwait(false);
            PinServerKey(profile, session.Client);
            if (session.Welcome.State != WelcomeState.Authenticated)
                throw new CliException($"the server does not know '{session.Device.UserName}' yet: run 'fastchat register {session.Device.UserName}'");
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Prints warnings about what the user should know but did not ask: a contact's devices changed, a copy for this account's other devices failed.</summary>
    public void Warn(Action<string> print)
    {
        Chat.DevicesChanged += (account, added, removed) => print(Commands.MessageView.DevicesChanged(account, Device.UserName, added, removed));
        Chat.CopyFailed += ex => print($"⚠ your other devices did not get a copy of that message: {ex.Message}");
    }

    /// <param name="linkIdentityKey">Set on a new device that asks to be linked (its Signal identity key).</param>
    public static FastChatClient CreateClient(Profile profile, DeviceStore device, byte[]? linkIdentityKey = null)
    {
        // "host:port[,host:port...]": the first is dialled, the rest are seeds of the same cluster.
        var servers = profile.Server.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var (host, port) = ParseServer(servers[0]);
        return new FastChatClient(new FastChatClientOptions
        {
            Host = host,
            Port = port,
            Seeds = servers[1..],
            UserName = device.UserName,
            StaticPrivateKey = device.NoisePrivateKey,
            ServerPublicKey = profile.ServerKey is null ? null : Convert.FromHexString(profile.ServerKey),
            StateStore = device,
            ClientSoftware = "fastchat-cli/2",
            LinkIdentityKey = linkIdentityKey,
        });
    }

    /// <summary>
    /// Pins the first server's key (trust on first use, like SSH); when a cluster redirected the
    /// client, the home node it ended on (whose key the redirecting, pinned server vouched for)
    /// becomes the profile's server, the others staying as seeds.
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

    public async ValueTask DisposeAsync()
    {
        Chat.Dispose();
        await Client.DisposeAsync().ConfigureAwait(false);
        Device.Dispose();
    }
}

public sealed class CliException(string message) : Exception(message);
