using System.Text;
using FastChat.Server.Storage;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Tests.Server;

public class CompactionTests
{
    [Fact]
    public async Task Compaction_reclaims_the_log_and_keeps_queued_messages()
    {
        var data = TempDirectory.Create();
        var carolKey = TestClient.NewKey();
        void Configure(FastChat.Server.Hosting.FastChatOptions o)
        {
            o.CompactionThresholdMegabytes = 1;
            o.CompactionIntervalSeconds = 1;
            o.StoreMemoryMegabytes = 16;
        }
        await using (var server = await TestServer.StartAsync(Configure, data))
        {
            var store = server.Services.GetRequiredService<FasterStore>();
            await (await TestClient.ConnectAsync(server.Port, "carol", carolKey)).DisposeAsync();
            await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
            await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
            for (int i = 0; i < 10; i++) await alice.Client.SendAsync("carol", Encoding.UTF8.GetBytes($"keep {i}"));
            // Traffic that is delivered and deleted: dead records for the compactor.
            var payload = new byte[1000];
            for (int round = 0; round < 30; round++)
                await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => alice.Client.SendAsync("bob", payload)));
            await bob.WaitForMessagesAsync(3000, TimeSpan.FromSeconds(30));
            long begin = store.BeginAddress;
            await Eventually.TrueAsync(() => store.BeginAddress > begin, TimeSpan.FromSeconds(15), "the compactor never moved the begin address");
        }
        await using (var server = await TestServer.StartAsync(Configure, data))
        {
            await using var carol = await TestClient.ConnectAsync(server.Port, "carol", carolKey);
            var got = await carol.WaitForMessagesAsync(10);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"keep {i}"), got.Select(m => Encoding.UTF8.GetString(m.Payload)));
        }
    }
}
