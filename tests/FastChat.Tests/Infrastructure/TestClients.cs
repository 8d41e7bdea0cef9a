using System.Collections.Concurrent;
using FastChat.Client;
using FastChat.Protocol.Crypto;
using FastChat.Protocol.Frames;

namespace FastChat.Tests.Infrastructure;

/// <summary>A client SDK instance with its received messages and receipts collected for assertions.</summary>
public sealed class TestClient : IAsyncDisposable
{
    public FastChatClient Client { get; }
    public byte[] PrivateKey { get; }
    public ConcurrentQueue<IncomingMessage> Messages { get; } = new();
    public ConcurrentQueue<Receipt> Receipts { get; } = new();

    private TestClient(FastChatClient client, byte[] privateKey)
    {
        Client = client;
        PrivateKey = privateKey;
        client.MessageReceived += Messages.Enqueue;
        client.ReceiptReceived += Receipts.Enqueue;
    }

    public static byte[] NewKey()
    {
        var key = new byte[32];
        Sodium.RandomBytes(key);
        return key;
    }

    public static TestClient Create(int port, string user, byte[]? key = null, Action<FastChatClientOptions>? configure = null)
    {
        key ??= NewKey();
        var options = new FastChatClientOptions { Port = port, UserName = user, StaticPrivateKey = key, ReconnectMinDelay = TimeSpan.FromMilliseconds(50) };
        configure?.Invoke(options);
        return new TestClient(new FastChatClient(options), key);
    }

    /// <summary>Connects, registering on an open-registration server if the name is new.</summary>
    public static async Task<TestClient> ConnectAsync(int port, string user, byte[]? key = null)
    {
        var client = Create(port, user, key);
        var welcome = await client.Client.ConnectAsync();
        if (welcome.State == WelcomeState.RegistrationRequired)
        {
            var result = await client.Client.RegisterAsync(null);
            Assert.Equal(RegisterStatus.Registered, result.Status);
        }
        return client;
    }

    public async Task<IncomingMessage[]> WaitForMessagesAsync(int count, TimeSpan? timeout = null)
    {
        await Eventually.TrueAsync(() => Messages.Count >= count, timeout);
        return Messages.ToArray();
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}

public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null) =>
        TrueAsync(condition, timeout, () => because ?? "condition not met in time");

    /// <param name="explain">Built only on failure (it may describe the state at the deadline).</param>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan? timeout, Func<string> explain)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(explain());
            await Task.Delay(10);
        }
    }
}
