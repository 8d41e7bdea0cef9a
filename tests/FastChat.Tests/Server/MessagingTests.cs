using System.Text;
using FastChat.Client;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

public class MessagingTests
{
    [Fact]
    public async Task Online_message_is_acked_delivered_and_receipted()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");

        ulong id = await alice.Client.SendAsync("bob", Encoding.UTF8.GetBytes("hello bob"));
        var received = await bob.WaitForMessagesAsync(1);
        Assert.Equal("alice", received[0].From);
        Assert.Equal(id, received[0].MessageId);
        Assert.Equal("hello bob", Encoding.UTF8.GetString(received[0].Payload));

        await Eventually.TrueAsync(() => alice.Receipts.Any(r => r.Kind == ReceiptKind.Delivered && r.MessageId == id && r.Peer == "bob"));
        await bob.Client.MarkReadAsync("alice", id);
        await Eventually.TrueAsync(() => alice.Receipts.Any(r => r.Kind == ReceiptKind.Read && r.MessageId == id));
    }

    [Fact]
    public async Task Offline_messages_wait_and_arrive_in_order()
    {
        await using var server = await TestServer.StartAsync();
        var bobKey = TestClient.NewKey();
        await (await TestClient.ConnectAsync(server.Port, "bob", bobKey)).DisposeAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        for (int i = 0; i < 50; i++) await alice.Client.SendAsync("bob", Encoding.UTF8.GetBytes($"m{i}"));

        await using var bob = await TestClient.ConnectAsync(server.Port, "bob", bobKey);
        var received = await bob.WaitForMessagesAsync(50);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}"), received.Select(m => Encoding.UTF8.GetString(m.Payload)));
        Assert.True(received.Zip(received.Skip(1)).All(p => p.First.MessageId < p.Second.MessageId));
    }
}
