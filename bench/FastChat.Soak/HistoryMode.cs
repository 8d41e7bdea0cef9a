using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using FastChat.Client;
using HdrHistogram;

namespace FastChat.Soak;

/// <summary>
/// <c>history --seeds A,B,C --pairs P --rate R --seconds S</c>: P senders and P receivers through
/// the real client SDK (reconnect, resend until ✓, dedupe by id), each sender writing R messages
/// a second to its receiver for S seconds while the operator does whatever the run is about
/// (a rolling restart: <c>bench/rolling-restart.sh</c>). Then the history: every ✓'d message must be
/// shown once, in order per sender. Reports ✓ latency over the run and its worst second, lost,
/// duplicates shown, reordered, and how often the clients were disconnected.
/// </summary>
internal static class HistoryMode
{
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, SoakOptions o, RunSync sync)
    {
        string[] seeds = o.Seeds.Count > 0 ? [.. o.Seeds] : [FastChat.Protocol.Wire.Endpoints.Format(server.EndPoint.Address.ToString(), server.EndPoint.Port)];
        var senders = new FastChatClient[o.Pairs];
        var receivers = new FastChatClient[o.Pairs];
        var shown = Enumerable.Range(0, o.Pairs).Select(_ => new ConcurrentQueue<long>()).ToArray();
        int disconnects = 0;
        for (int k = 0; k < o.Pairs; k++)
        {
            receivers[k] = await ConnectAsync($"{o.UserPrefix}hr{k}", seeds, () => Interlocked.Increment(ref disconnects));
            int pair = k;
            receivers[k].MessageReceived += m => shown[pair].Enqueue(BinaryPrimitives.ReadInt64LittleEndian(m.Payload));
            senders[k] = await ConnectAsync($"{o.UserPrefix}hs{k}", seeds, () => Interlocked.Increment(ref disconnects));
        }
        Console.Error.WriteLine($"{o.Pairs} pairs connected; sending {o.Rate}/s each for {o.Seconds} s");

        var recorder = new Recorder(1, LatencyHistogram.HighestMicroseconds, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
        var acked = Enumerable.Range(0, o.Pairs).Select(_ => new ConcurrentDictionary<long, bool>()).ToArray();
        int failed = 0;
        var clock = Stopwatch.StartNew();
        var traffic = Task.WhenAll(Enumerable.Range(0, o.Pairs).Select(async k =>
        {
            var sends = new List<Task>();
            var interval = TimeSpan.FromSeconds(1.0 / o.Rate);
            var next = clock.Elapsed + interval * Random.Shared.NextDouble(); // spread the pairs over the interval
            for (long n = 0; clock.Elapsed.TotalSeconds < o.Seconds; n++)
            {
                if (next > clock.Elapsed) await Task.Delay(next - clock.Elapsed);
                next += interval;
                var payload = new byte[Math.Max(8, o.Size)];
                BinaryPrimitives.WriteInt64LittleEndian(payload, n);
                long started = Stopwatch.GetTimestamp(), seq = n;
                sends.Add(senders[k].SendAsync(receivers[k].UserName, payload).ContinueWith(t =>
                {
                    if (!t.IsCompletedSuccessfully) { Interlocked.Increment(ref failed); return; }
                    recorder.RecordValue(Math.Min((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds, LatencyHistogram.HighestMicroseconds));
                    acked[k][seq] = true;
                }, TaskScheduler.Default));
            }
            await Task.WhenAll(sends);
        }));

        var total = LatencyHistogram.Create();
        var series = new JsonArray();
        long worstSecondP99 = 0;
        while (!traffic.IsCompleted)
        {
            await Task.WhenAny(traffic, Task.Delay(1000));
            var second = recorder.GetIntervalHistogram();
            total.Add(second);
            long p99 = second.TotalCount > 0 ? second.GetValueAtPercentile(99) : 0;
            worstSecondP99 = Math.Max(worstSecondP99, p99);
            series.Add(new JsonObject { ["t"] = Math.Round(clock.Elapsed.TotalSeconds), ["acks"] = second.TotalCount, ["p99_us"] = p99 });
            Console.Error.Write($"\r{clock.Elapsed.TotalSeconds:F0} s: {second.TotalCount} ✓/s, p99 {p99} µs, {Volatile.Read(ref disconnects)} disconnects     ");
            if (clock.Elapsed.TotalSeconds > o.Seconds + 120) throw new TimeoutException("sends still without ✓ two minutes after the run");
        }
        Console.Error.WriteLine();

        // Shown: every ✓'d message, once, in order — waited for as a condition (redeliveries come after reconnects).
        bool AllShown() => Enumerable.Range(0, o.Pairs).All(k => { var seen = shown[k].ToHashSet(); return acked[k].Keys.All(seen.Contains); });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !AllShown()) await Task.Delay(500);
        long lost = 0, duplicates = 0, reordered = 0, sent = 0;
        for (int k = 0; k < o.Pairs; k++)
        {
            var seen = shown[k].ToArray();
            var seenSet = seen.ToHashSet();
            lost += acked[k].Keys.Count(n => !seenSet.Contains(n));
            duplicates += seen.Length - seen.Distinct().Count();
            reordered += seen.Zip(seen.Skip(1)).Count(p => p.Second < p.First);
            sent += acked[k].Count;
        }
        foreach (var client in senders.Concat(receivers)) await client.DisposeAsync();
        return new JsonObject
        {
            ["mode"] = "history",
            ["pairs"] = o.Pairs,
            ["rate_per_sender"] = o.Rate,
            ["seconds"] = o.Seconds,
            ["acknowledged"] = sent,
            ["send_errors"] = failed,
            ["lost"] = lost,
            ["duplicates_shown"] = duplicates,
            ["reordered"] = reordered,
            ["disconnects"] = disconnects,
            ["p50_us"] = total.GetValueAtPercentile(50),
            ["p99_us"] = total.GetValueAtPercentile(99),
            ["p999_us"] = total.GetValueAtPercentile(99.9),
            ["max_us"] = total.GetMaxValue(),
            ["worst_second_p99_us"] = worstSecondP99,
            [ShardMerge.SeriesKey] = series,
        };
    }

    private static async Task<FastChatClient> ConnectAsync(string user, string[] seeds, Action onDisconnect)
    {
        var key = new byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(key);
        if (!FastChat.Protocol.Wire.Endpoints.TryParse(seeds[0], out var host, out int port)) throw new ArgumentException($"seed {seeds[0]} is not HOST:PORT");
        var client = new FastChatClient(new FastChatClientOptions { Host = host, Port = port, Seeds = seeds, UserName = user, StaticPrivateKey = key });
        client.Disconnected += (_, _) => onDisconnect();
        var welcome = await client.ConnectAsync();
        if (welcome.State == FastChat.Protocol.Frames.WelcomeState.RegistrationRequired) await client.RegisterAsync(null);
        return client;
    }

    public static readonly MergeRules Rules = new([], [], _ => { });
}
