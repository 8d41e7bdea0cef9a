using System.Text.Json.Nodes;

namespace FastChat.Soak;

/// <summary>
/// <c>handshake --conns N</c>: a reconnect storm. N users are registered first (not measured);
/// then all N connect again at once (preamble, Noise XX, login), measured: handshakes per second
/// and server CPU per handshake.
/// </summary>
internal static class HandshakeMode
{
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, SoakOptions o, RunSync sync)
    {
        var sources = o.SourceAddresses;
        var endpoint = server.EndPoint;
        var users = Enumerable.Range(0, o.Connections).Select(i => $"{o.UserPrefix}hs{i}").ToArray();
        await Connector.RegisterAsync(endpoint, users, sources, o.Parallelism);
        await Task.Delay(500); // let the server finish closing them

        var before = await sync.SampleAsync("storm");
        var (storm, failed, _) = await Connector.OpenManyAsync(endpoint, users, sources, o.Parallelism, "storm");
        var after = await sync.SampleAsync("stormed");
        foreach (var c in storm) c?.Dispose();
        var result = new JsonObject
        {
            ["mode"] = "handshake",
            ["conns"] = o.Connections - failed,
            ["failed"] = failed,
            ["parallel"] = o.Parallelism,
            ["seconds"] = Math.Round((after.At - before.At).TotalSeconds, 3),
            ["server_cpu_seconds"] = Math.Round(after.CpuSeconds - before.CpuSeconds, 3),
        };
        Derive(result);
        return result;
    }

    public static readonly MergeRules Rules = new(Shared: ["seconds", "server_cpu_seconds"], Max: [], Derive: Derive);

    private static void Derive(JsonObject r)
    {
        long done = r["conns"].Integer();
        double seconds = r["seconds"].Number(), cpu = r["server_cpu_seconds"].Number();
        r["handshakes_per_second"] = seconds > 0 ? Math.Round(done / seconds, 1) : 0;
        r["server_cpu_us_per_handshake"] = done == 0 ? 0 : Math.Round(cpu * 1e6 / done, 1);
    }
}
