using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Client;

/// <summary>
/// Which server the client dials next: the configured one, a REDIRECT's target (pinned to the key
/// the redirecting server vouched for), or the next seed when the current one cannot be reached.
/// A redirect is remembered: reconnects go straight to the home node.
/// </summary>
internal sealed class ServerEndpoints
{
    private readonly object _lock = new();
    private readonly List<(string Host, int Port)> _seeds = new();
    private RedirectBody? _offered;
    private int _seed;

    public ServerEndpoints(FastChatClientOptions options)
    {
        _seeds.Add((options.Host, options.Port));
        foreach (var seed in options.Seeds)
        {
            if (!Endpoints.TryParse(seed, out var host, out int port)) throw new ArgumentException($"Seed \"{seed}\" is not host:port.");
            _seeds.Add((host, port));
        }
        (Host, Port, Key) = (options.Host, options.Port, options.ServerPublicKey);
    }

    public string Host { get; private set; }
    public int Port { get; private set; }
    /// <summary>The key the next server must prove: the configured pin, or the one a redirect named.</summary>
    public byte[]? Key { get; private set; }
    public int SeedCount => _seeds.Count;

    /// <summary>A REDIRECT arrived on the current connection (its DISCONNECT follows).</summary>
    public void Offer(RedirectBody redirect)
    {
        lock (_lock) _offered = redirect;
    }

    /// <summary>Moves to the offered redirect target; false when none was offered.</summary>
    public bool FollowRedirect()
    {
        lock (_lock)
        {
            if (_offered is not { } target) return false;
            _offered = null;
            (Host, Port, Key) = (target.Host, target.Port, target.ServerKey.Length == 32 ? target.ServerKey : null);
            return true;
        }
    }

    /// <summary>The current server did not answer: try the next seed (with the configured pin, if any).</summary>
    public void NextSeed(byte[]? configuredKey)
    {
        lock (_lock)
        {
            _seed = (_seed + 1) % _seeds.Count;
            (Host, Port) = _seeds[_seed];
            Key = configuredKey;
        }
    }
}
