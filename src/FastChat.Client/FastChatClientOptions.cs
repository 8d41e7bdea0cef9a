namespace FastChat.Client;

public sealed class FastChatClientOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 5222;
    public required string UserName { get; set; }
    /// <summary>This device's 32-byte X25519 private key: the account's identity.</summary>
    public required byte[] StaticPrivateKey { get; set; }
    /// <summary>When set, the handshake fails unless the server proves this static key.</summary>
    public byte[]? ServerPublicKey { get; set; }
    /// <summary>More servers of the same cluster ("host:port"), tried in turn when the current one cannot be reached.</summary>
    public IReadOnlyList<string> Seeds { get; set; } = [];
    public string ClientSoftware { get; set; } = "fastchat-dotnet/1";

    /// <summary>
    /// For a device not yet linked to the account: its Signal identity key, offered in ClientHello
    /// so the server holds the connection as a link request (WELCOME link_pending, then LINK_DONE).
    /// </summary>
    public byte[]? LinkIdentityKey { get; set; }
    public bool AutoReconnect { get; set; } = true;
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// The longest wait after a server said <c>unavailable</c> (the account is moving, its home is
    /// failing over): that lasts seconds, so retrying at this pace keeps the gap short, where the
    /// doubling for unreachable servers would reach many seconds.
    /// </summary>
    public TimeSpan UnavailableRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Optional persistence of message ids and dedupe marks across restarts.</summary>
    public IClientStateStore? StateStore { get; set; }
}

/// <summary>What a client must remember across restarts to keep ids increasing and drop redeliveries.</summary>
public interface IClientStateStore
{
    ulong LastMessageId { get; set; }
    /// <summary>Highest message id seen from each peer (messages arrive in order per peer).</summary>
    ulong GetLastSeen(string peer);
    void SetLastSeen(string peer, ulong messageId);
    void Save();
}
