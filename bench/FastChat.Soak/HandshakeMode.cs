using System.Net;
using System.Text.Json.Nodes;

namespace FastChat.Soak;

/// <summary>
/// <c>handshake --conns N</c>: a reconnect storm. N users are registered first (not measured);
/// then all N connect again at once (preamble, Noise XX, login), measured: handshakes per second
/// and server CPU per handshake.
/// </summary>
internal static class HandshakeMode
{
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, SoakOptions o, SourceAddresses sources)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(server.Host), server.Port);
        var users = Enumerable.Range(0, o.Connections).Select(i => $"{o.UserPrefix}hs{i}").ToArray();
        var (registered, _, _) = await Connector.OpenManyAsync(endpoint, users, sources, o.Parallelism, "register");
        foreach (var c in registered) c?.Dispose();
        await Task.Delay(500); // let the server finish closing them

        var before = ProcessSample.Take(server.Pid);
        var (storm, failed, seconds) = await Connector.OpenManyAsync(endpoint, users, sources, o.Parallelism, "storm");
        var after = ProcessSample.Take(server.Pid);
        foreach (var c in storm) c?.Dispose();
        int done = o.Connections - failed;
        double cpu = after.CpuSeconds - before.CpuSeconds;
        return new JsonObject
        {
            ["mode"] = "handshake",
            ["conns"] = done,
            ["failed"] = failed,
            ["parallel"] = o.Parallelism,
            ["seconds"] = Math.Round(seconds, 3),
            ["handshakes_per_second"] = Math.Round(done / seconds, 1),
            ["server_cpu_seconds"] = Math.Round(cpu, 3),
            ["server_cpu_us_per_handshake"] = done == 0 ? 0 : Math.Round(cpu * 1e6 / done, 1),
        };
    }
}
