using System.Text.Json.Nodes;
using FastChat.Soak;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Soak;

/// <summary>A run split over several harness processes (<c>--shards n</c>) and the merge of their results.</summary>
public class ShardedRunTests
{
    [Fact]
    public async Task A_throughput_run_split_over_two_shard_processes_merges_into_one_result()
    {
        await using var server = await TestServer.StartAsync();
        using var target = ServerUnderTest.Attach($"127.0.0.1:{server.Port}", Environment.ProcessId);
        var options = SoakOptions.Parse(["throughput", "--pairs", "5", "--seconds", "1", "--window", "8", "--size", "64", "--parallel", "8", "--sources", "2", "--shards", "2"]);

        var result = await ShardCoordinator.RunAsync(target, options.Shards, options.ShardArgs, ThroughputMode.Rules);

        Assert.Equal(2, result["shards"].Integer());
        Assert.Equal(5, result["pairs"].Integer());       // 3 + 2: counts add up
        Assert.Equal(8, result["window"].Integer());      // settings are shared, not added
        long delivered = result["delivered"].Integer();
        Assert.True(delivered > 0);
        Assert.Equal(0, result["lost"].Integer() + result["duplicated"].Integer() + result["reordered"].Integer() + result["corrupted"].Integer());
        Assert.Equal(result["sent_total"].Integer(), result["received_total"].Integer());
        Assert.Equal(Math.Round(delivered / result["seconds"].Number()), result["msgs_per_second"].Number());
        Assert.True(result["latency_p50_us"].Integer() > 0);
        Assert.Null(result["latency_histogram"]);
    }

    [Fact]
    public void Counts_add_up_settings_stay_and_percentiles_come_from_the_combined_distribution()
    {
        var fast = Part(pairs: 3, delivered: 900, latencyUs: 100, secondMsgs: 450, secondP99: 120);
        var slow = Part(pairs: 1, delivered: 100, latencyUs: 10_000, secondMsgs: 50, secondP99: 11_000);

        var merged = ShardMerge.Merge([fast, slow], ThroughputMode.Rules);

        Assert.Equal(4, merged["pairs"].Integer());
        Assert.Equal(1000, merged["delivered"].Integer());
        Assert.Equal(16, merged["window"].Integer());
        Assert.Equal(2.0, merged["seconds"].Number());
        Assert.Equal(500, merged["msgs_per_second"].Number());
        Assert.Equal(3.0, merged["drain_seconds"].Number());                  // wall time: the slower shard
        Assert.Equal(4000, merged["server_cpu_us_per_msg"].Number());         // 4 s of server CPU / 1000
        Assert.InRange(merged["latency_p50_us"].Integer(), 100, 101);         // 90 % of the messages were fast
        Assert.InRange(merged["latency_p99_us"].Integer(), 10_000, 10_010);   // the slow tenth sets p99
        var second = merged["series"]![0]!;
        Assert.Equal(500, second["msgs"].Integer());
        Assert.Equal(11_000, second["p99_us"].Integer());
    }

    private static JsonObject Part(long pairs, long delivered, long latencyUs, long secondMsgs, long secondP99)
    {
        var histogram = LatencyHistogram.Create();
        histogram.RecordValueWithCount(latencyUs, delivered);
        return new JsonObject
        {
            ["mode"] = "throughput", ["pairs"] = pairs, ["window"] = 16, ["size"] = 100, ["seconds"] = 2.0,
            ["delivered"] = delivered, ["server_cpu_seconds"] = 4.0, ["server_rss_bytes"] = 1000,
            ["lost"] = 0, ["drain_seconds"] = pairs == 1 ? 3.0 : 1.0,
            ["series"] = new JsonArray(new JsonObject { ["second"] = 1, ["msgs"] = secondMsgs, ["p50_us"] = latencyUs, ["p99_us"] = secondP99 }),
            ["latency_histogram"] = LatencyHistogram.ToJson(histogram),
        };
    }
}
