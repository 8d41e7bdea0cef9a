using System.Text;
using FastChat.Server.Storage;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Tests.Server;

public class CompactionTests
{
    [Fact]
    public async Task Compaction_rewrites_the_wal_compacts_the_index_and_keeps_queued_messages()
    {
        using var data = new TempDirectory();
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
            // Where both logs begin before any traffic: the compactor runs every second, so it
            // may rewrite during the traffic below as well as after it; either counts.
            long walBegin = store.WalBeginAddress, kvBegin = store.KvBeginAddress;
            await (await TestClient.ConnectAsync(server.Port, "carol", carolKey)).DisposeAsync();
            await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
            await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
            for (int i = 0; i < 10; i++) await alice.Client.SendAsync("carol", Encoding.UTF8.GetBytes($"keep {i}"));
            // Traffic that is delivered and deleted: dead records for the compactor.
            // More than the index's 16 MB in memory, so its log spills to disk and can be compacted.
            var payload = new byte[4000];
            for (int round = 0; round < 60; round++)
                await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => alice.Client.SendAsync("bob", payload)));
            await bob.WaitForMessagesAsync(6000, TimeSpan.FromSeconds(60));
            await Eventually.TrueAsync(() => store.WalBeginAddress > walBegin, TimeSpan.FromSeconds(15), "the write-ahead log was never rewritten");
            await Eventually.TrueAsync(() => store.KvBeginAddress > kvBegin, TimeSpan.FromSeconds(15), "the index log was never compacted");
            // Once the traffic has stopped, the WAL settles under the 1 MB threshold (24 MB went through it).
            await Eventually.TrueAsync(() => store.WalBytes < 1024 * 1024, TimeSpan.FromSeconds(15), $"WAL still {store.WalBytes} bytes after the traffic");
        }
        await using (var server = await TestServer.StartAsync(Configure, data))
        {
            await using var carol = await TestClient.ConnectAsync(server.Port, "carol", carolKey);
            var got = await carol.WaitForMessagesAsync(10);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"keep {i}"), got.Select(m => Encoding.UTF8.GetString(m.Payload)));
        }
    }
}
