using System.Net;
using System.Text.Json.Nodes;

namespace FastChat.Soak;

/// <summary>
/// <c>idle --conns N</c>: sample the server, open N authenticated connections, wait 5 s, sample
/// again. Reports server RSS per connection, connect time and rate, server CPU, and (when
/// dotnet-gcdump is installed) live managed heap per connection.
/// </summary>
internal static class IdleMode
{
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, SoakOptions o, RunSync sync)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(server.Host), server.Port);
        var before = await sync.SampleAsync("before", withHeap: true);
        var users = Enumerable.Range(0, o.Connections).Select(i => $"{o.UserPrefix}idle{i}").ToArray();
        var (opened, failed, connectSeconds) = await Connector.OpenManyAsync(endpoint, users, o.SourceAddresses, o.Parallelism, "idle");
        Console.Error.WriteLine("idle: holding 5 s");
        await Task.Delay(TimeSpan.FromSeconds(5));
        var after = await sync.SampleAsync("after", withHeap: true);
        foreach (var c in opened) c?.Dispose();

        var result = new JsonObject
        {
            ["mode"] = "idle",
            ["conns"] = o.Connections - failed,
            ["failed"] = failed,
            ["connect_seconds"] = Math.Round(connectSeconds, 3),
            ["server_rss_before_bytes"] = before.RssBytes,
            ["server_rss_after_bytes"] = after.RssBytes,
            ["server_cpu_seconds"] = Math.Round(after.CpuSeconds - before.CpuSeconds, 3),
            ["server_heap_before_bytes"] = before.HeapBytes,
            ["server_heap_after_bytes"] = after.HeapBytes,
        };
        Derive(result);
        return result;
    }

    public static readonly MergeRules Rules = new(
        Shared: ["server_rss_before_bytes", "server_rss_after_bytes", "server_cpu_seconds", "server_heap_before_bytes", "server_heap_after_bytes"],
        Max: ["connect_seconds"],
        Derive: Derive);

    private static void Derive(JsonObject r)
    {
        long conns = r["conns"].Integer();
        double seconds = r["connect_seconds"].Number();
        r["connects_per_second"] = seconds > 0 ? Math.Round(conns / seconds, 1) : 0;
        r["server_rss_bytes_per_conn"] = conns == 0 ? 0 : (r["server_rss_after_bytes"].Integer() - r["server_rss_before_bytes"].Integer()) / conns;
        if (r["server_heap_before_bytes"].IsIntegral() && r["server_heap_after_bytes"].IsIntegral() && conns > 0)
            r["server_live_heap_bytes_per_conn"] = (r["server_heap_after_bytes"].Integer() - r["server_heap_before_bytes"].Integer()) / conns;
    }
}
