using System.Text.Json.Nodes;
using HdrHistogram;

namespace FastChat.Soak;

/// <summary>
/// <c>throughput --pairs P --seconds S --size B --window W [--idle N]</c>: P sender → receiver
/// pairs, each sender keeping at most W messages in flight (sent, not yet received); 2 s warm-up,
/// then S seconds counted. Reports delivered msgs/s, latency percentiles (µs), server CPU per
/// message, and lost / duplicated / reordered / corrupted counts, plus a per-second series.
/// </summary>
internal static class ThroughputMode
{
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, SoakOptions o, RunSync sync)
    {
        var sources = o.SourceAddresses;
        if (o.Size < Pair.MinimumSize) throw new ArgumentException($"--size must be at least {Pair.MinimumSize}");
        var endpoint = server.EndPoint;
        var idle = o.Idle > 0
            ? (await Connector.OpenManyAsync(endpoint, Enumerable.Range(0, o.Idle).Select(i => $"{o.UserPrefix}i{i}").ToArray(), sources, o.Parallelism, "idle")).Connections
            : [];
        var names = Enumerable.Range(0, o.Pairs).Select(i => $"{o.UserPrefix}{SoakNames.Receiver}{i}")
            .Concat(Enumerable.Range(0, o.Pairs).Select(i => $"{o.UserPrefix}{SoakNames.Sender}{i}")).ToArray();
        LeanConnection?[] connections;
        if (o.ReceiversAt is { } receiversAt)
        {
            // Across a cluster: every receiver homed on one node, every sender on another.
            var (receivers, receiverNames) = await Connector.OpenHomedAsync(EndPointOf(receiversAt), names[..o.Pairs], sources, o.Parallelism, "receivers");
            var (senders, _) = await Connector.OpenHomedAsync(endpoint, names[o.Pairs..], sources, o.Parallelism, "senders");
            connections = [.. receivers, .. senders];
            names = [.. receiverNames, .. names[o.Pairs..]];
        }
        else
        {
            (connections, int failed, _) = await Connector.OpenManyAsync(endpoint, names, sources, o.Parallelism, "pairs");
            if (failed > 0) throw new InvalidOperationException($"{failed} pair connections failed");
        }

        await sync.SampleAsync("connected"); // shards start sending together
        ulong firstId = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000; // above any earlier run's ids
        var pairs = new Pair[o.Pairs];
        var pumps = new List<ConnectionPump>();
        var recorder = new Recorder(1, LatencyHistogram.HighestMicroseconds, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
        bool measuring = false;
        Recorder? Latency() => Volatile.Read(ref measuring) ? recorder : null;
        using var stop = new CancellationTokenSource();
        var tasks = new List<Task>();
        for (int i = 0; i < o.Pairs; i++)
        {
            var receiverIo = new RecordIo(connections[i]!);
            var senderIo = new RecordIo(connections[o.Pairs + i]!);
            pairs[i] = new Pair(names[i], senderIo, o.Window, o.Size, firstId, o.OnePerRecord);
            var receiverPump = new ConnectionPump(receiverIo, pairs[i], Latency);
            var senderPump = new ConnectionPump(senderIo, null, Latency);
            pumps.Add(senderPump);
            tasks.Add(Task.Run(() => receiverPump.RunAsync(stop.Token)));
            tasks.Add(Task.Run(() => senderPump.RunAsync(stop.Token)));
            var pair = pairs[i];
            tasks.Add(Task.Run(() => pair.SendLoopAsync(stop.Token)));
        }

        long Delivered() { long sum = 0; foreach (var p in pairs) sum += p.Received; return sum; }

        // Warm-up.
        for (int s = 0; s < 2; s++) { await Task.Delay(1000); Console.Error.Write($"\rwarm-up {s + 1}/2 s: {Delivered()} delivered   "); }
        Volatile.Write(ref measuring, true);
        recorder.Reset();
        var before = await sync.SampleAsync("measure");
        long deliveredBefore = Delivered();
        var total = LatencyHistogram.Create();
        var series = new JsonArray();
        long last = deliveredBefore;
        for (int s = 0; s < o.Seconds; s++)
        {
            await Task.Delay(1000);
            var interval = recorder.GetIntervalHistogram();
            total.Add(interval);
            long now = Delivered();
            series.Add(new JsonObject
            {
                ["second"] = s + 1,
                ["msgs"] = now - last,
                ["p50_us"] = interval.TotalCount > 0 ? interval.GetValueAtPercentile(50) : 0,
                ["p99_us"] = interval.TotalCount > 0 ? interval.GetValueAtPercentile(99) : 0,
            });
            Console.Error.Write($"\rmeasuring {s + 1}/{o.Seconds} s: {now - last} msgs/s, p99 {(interval.TotalCount > 0 ? interval.GetValueAtPercentile(99) : 0)} µs     ");
            last = now;
        }
        var after = await sync.SampleAsync("measured");
        long delivered = Delivered() - deliveredBefore;
        Volatile.Write(ref measuring, false);

        // Stop sending, let what is in flight land, then count.
        foreach (var pair in pairs) pair.StopSending();
        var drain = System.Diagnostics.Stopwatch.StartNew();
        while (drain.Elapsed < TimeSpan.FromSeconds(30) && pairs.Any(p => p.Received < p.Sent)) await Task.Delay(20);
        double drainSeconds = drain.Elapsed.TotalSeconds;
        foreach (var pair in pairs) pair.SettleLosses();
        if (pairs.Any(p => p.Lost > 0))
        {
            var p0 = pairs.First(p => p.Lost > 0);
            Console.Error.WriteLine($"\nfirst pair with losses: sent {p0.Sent} received {p0.Received}; pairs with losses: {pairs.Count(p => p.Lost > 0)}");
        }
        stop.Cancel();
        try { await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
        Console.Error.WriteLine();
        foreach (var c in connections) c?.Dispose();
        foreach (var c in idle) c?.Dispose();

        var result = new JsonObject
        {
            ["mode"] = "throughput",
            ["cross_node"] = o.ReceiversAt is not null,
            ["pairs"] = o.Pairs,
            ["window"] = o.Window,
            ["sends"] = o.OnePerRecord ? "one_per_record" : "batched",
            ["size"] = o.Size,
            ["idle"] = o.Idle,
            ["seconds"] = Math.Round((after.At - before.At).TotalSeconds, 3),
            ["delivered"] = delivered,
            ["server_cpu_seconds"] = Math.Round(after.CpuSeconds - before.CpuSeconds, 3),
            ["server_rss_bytes"] = after.RssBytes,
            ["sent_total"] = pairs.Sum(p => p.Sent),
            ["received_total"] = pairs.Sum(p => p.Received),
            ["lost"] = pairs.Sum(p => p.Lost),
            ["duplicated"] = pairs.Sum(p => p.Duplicated),
            ["reordered"] = pairs.Sum(p => p.Reordered),
            ["corrupted"] = pairs.Sum(p => p.Corrupted),
            ["server_acks"] = pumps.Sum(p => p.ServerAcks),
            ["drain_seconds"] = Math.Round(drainSeconds, 3),
            ["series"] = series,
        };
        Derive(result, total);
        if (o.Shard.Count > 1) result[HistogramKey] = LatencyHistogram.ToJson(total);
        return result;
    }

    public static System.Net.IPEndPoint EndPointOf(string hostPort) =>
        FastChat.Protocol.Wire.Endpoints.TryParse(hostPort, out var host, out int port)
            ? new System.Net.IPEndPoint(System.Net.IPAddress.Parse(host), port)
            : throw new ArgumentException($"{hostPort}: want HOST:PORT");

    private const string HistogramKey = "latency_histogram";

    public static readonly MergeRules Rules = new(
        Shared: ["window", "sends", "size", "seconds", "server_cpu_seconds", "server_rss_bytes"],
        Max: ["drain_seconds"],
        Derive: merged =>
        {
            var latency = LatencyHistogram.FromJson(merged[HistogramKey]!.AsArray());
            merged.Remove(HistogramKey);
            Derive(merged, latency);
        });

    private static void Derive(JsonObject r, HistogramBase latency)
    {
        long delivered = r["delivered"].Integer();
        double seconds = r["seconds"].Number(), cpu = r["server_cpu_seconds"].Number();
        r["msgs_per_second"] = seconds > 0 ? Math.Round(delivered / seconds, 0) : 0;
        r["latency_p50_us"] = latency.GetValueAtPercentile(50);
        r["latency_p99_us"] = latency.GetValueAtPercentile(99);
        r["latency_p999_us"] = latency.GetValueAtPercentile(99.9);
        r["latency_max_us"] = latency.GetMaxValue();
        r["server_cpu_us_per_msg"] = delivered == 0 ? 0 : Math.Round(cpu * 1e6 / delivered, 2);
    }
}
