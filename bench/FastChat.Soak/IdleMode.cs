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
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, int connections, SourceAddresses sources, int parallelism, string userPrefix)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(server.Host), server.Port);
        var heapBefore = GcDump.LiveHeapBytes(server.Pid);
        var before = ProcessSample.Take(server.Pid);
        var users = Enumerable.Range(0, connections).Select(i => $"{userPrefix}idle{i}").ToArray();
        var (opened, failed, connectSeconds) = await Connector.OpenManyAsync(endpoint, users, sources, parallelism, "idle");
        int done = connections - failed;
        Console.Error.WriteLine("idle: holding 5 s");
        await Task.Delay(TimeSpan.FromSeconds(5));
        var after = ProcessSample.Take(server.Pid);
        var heapAfter = GcDump.LiveHeapBytes(server.Pid);
        foreach (var c in opened) c?.Dispose();

        var result = new JsonObject
        {
            ["mode"] = "idle",
            ["conns"] = done,
            ["failed"] = failed,
            ["connect_seconds"] = Math.Round(connectSeconds, 3),
            ["connects_per_second"] = Math.Round(done / connectSeconds, 1),
            ["server_rss_before_bytes"] = before.RssBytes,
            ["server_rss_after_bytes"] = after.RssBytes,
            ["server_rss_bytes_per_conn"] = done == 0 ? 0 : (after.RssBytes - before.RssBytes) / done,
            ["server_cpu_seconds"] = Math.Round(after.CpuSeconds - before.CpuSeconds, 3),
        };
        if (heapBefore is { } hb && heapAfter is { } ha && done > 0)
            result["server_live_heap_bytes_per_conn"] = (ha - hb) / done;
        return result;
    }
}

/// <summary>Spreads connections over several loopback source addresses to widen the port space.</summary>
internal sealed class SourceAddresses(int count)
{
    private readonly IPAddress[] _addresses = Enumerable.Range(1, Math.Max(1, count)).Select(i => IPAddress.Parse($"127.0.0.{i}")).ToArray();
    public IPAddress For(int index) => _addresses[index % _addresses.Length];
}
