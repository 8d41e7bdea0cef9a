using System.Text.Json.Nodes;

namespace FastChat.Soak;

/// <summary>
/// <c>idle --conns N</c>: sample the server, open N authenticated connections, wait 5 s, sample
/// again. Reports server RSS per connection, connect time and rate, server CPU, and (when
/// dotnet-gcdump is installed) live managed heap per connection. By default the N users are
/// registered first and a spawned server is restarted on that data (<see cref="PrepareUsersAsync"/>),
/// so the figure is what a returning user's idle connection costs in a fresh process — not the
/// growth of the account store, nor heap left over from registering; <c>--fresh-users</c>
/// measures first connections (registration included) instead.
/// </summary>
internal static class IdleMode
{
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, SoakOptions o, RunSync sync)
    {
        var endpoint = server.EndPoint;
        var users = UserNames(o.UserPrefix, o.Connections);
        var before = await sync.SampleAsync("before", withHeap: true);
        var (opened, failed, connectSeconds) = await Connector.OpenManyAsync(endpoint, users, o.SourceAddresses, o.Parallelism, "idle");
        Console.Error.WriteLine("idle: holding 5 s");
        await Task.Delay(TimeSpan.FromSeconds(5));
        var after = await sync.SampleAsync("after", withHeap: true);
        foreach (var c in opened) c?.Dispose();

        var result = new JsonObject
        {
            ["mode"] = "idle",
            ["fresh_users"] = o.FreshUsers,
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

    private static string[] UserNames(string prefix, int count) => Enumerable.Range(0, count).Select(i => $"{prefix}idle{i}").ToArray();

    /// <summary>
    /// Registers the users every shard will log in as (connections opened and closed a batch at
    /// a time), then restarts a spawned server on that data. Unmeasured.
    /// </summary>
    public static async Task PrepareUsersAsync(ServerUnderTest server, SoakOptions o)
    {
        if (o.FreshUsers) return;
        var endpoint = server.EndPoint;
        int shards = Math.Max(o.Shards, 1);
        var users = Enumerable.Range(0, shards).SelectMany(i =>
        {
            var shard = new ShardSpec(i, shards);
            return UserNames(shard.UserPrefix(o.UserPrefix), shard.Share(o.Connections));
        }).ToArray();
        if (await Connector.RegisterAsync(endpoint, users, o.SourceAddresses, o.Parallelism) is > 0 and var failed)
            throw new InvalidOperationException($"{failed} registrations failed");
        if (server.Spawned) await server.RestartAsync();
        else await Task.Delay(1000); // an attached server keeps the heap it grew registering: noted in the result
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
