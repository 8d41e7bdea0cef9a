using System.Text.Json.Nodes;
using FastChat.Soak;

// fastchat-soak: drives a real FastChat server over loopback with the real protocol.
//   idle --conns N | throughput --pairs P --seconds S --size B --window W [--idle N]
//   handshake --conns N | offline --users U --msgs M [--window W]
//   [--spawn-server (default) | --server HOST:PORT --server-pid PID] [--shards n]
//   cluster: --server NODE_A --receivers-at NODE_B --cpu-pids A,B,C (senders homed on A, receivers on B, CPU of all)
// Prints a live progress line on stderr, then ONE JSON line and a short summary on stdout.
var options = SoakOptions.Parse(args);
if (options.Mode is null || !SoakModes.All.TryGetValue(options.Mode, out var mode))
{
    Console.Error.WriteLine("""
        usage: fastchat-soak MODE [options] [--server HOST:PORT --server-pid PID] [--shards n] [--FastChat:Key=Value ...]
          idle --conns N [--fresh-users]                          server memory per idle authenticated connection
          throughput --pairs P --seconds S --size B --window W [--idle N]
          handshake --conns N                                     reconnect storm: handshakes/s, server CPU per handshake
          offline --users U --msgs M [--window W] [--homed] [--keep]   acked durable enqueues/s, then drain, exactly once
                                                                  (--homed: names homed on a cluster node; --keep: no drain)
          failover --server ENTRY --receivers-at VICTIM --victim-pid PID   kill -9 a node: time until its user is written to again
          history --seeds A,B,C --pairs P --rate R --seconds S    SDK clients under whatever the operator does meanwhile: ✓ latency, lost, shown twice
        common: --sources K (loopback source addresses per process), --parallel P (concurrent handshakes per process),
                --user-prefix X, --shards n (split the run over n harness processes; counts are totals),
                --out FILE (append the result line), --server-env NAME=VALUE (spawned server's environment)
        """);
    return 2;
}
using var server = options.Server is null
    ? await ServerUnderTest.SpawnAsync(options.ServerArgs, options.ServerEnvironment)
    : ServerUnderTest.Attach(options.Server, options.ServerPid);

if (options.Mode == "idle" && options.Shard.Count == 1) await IdleMode.PrepareUsersAsync(server, options);
JsonObject result;
if (options.Shards > 1)
    result = await ShardCoordinator.RunAsync(server, options.Shards, options.ShardArgs, mode.Rules);
else
    result = await mode.RunAsync(server, options, options.Shard.Count > 1 ? new ShardChildSync() : new LocalSync(options.CpuPids.Count > 0 ? [.. options.CpuPids] : [server.Pid]));
if (options.Mode == "idle") result["server_restarted"] = !options.FreshUsers && server.Spawned;
result["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}";
result["date"] = DateTime.UtcNow.ToString("O");
if (options.ServerEnvironment.Count > 0)
    result["server_env"] = string.Join(" ", options.ServerEnvironment.Select(e => $"{e.Key}={e.Value}"));
Console.WriteLine(result.ToJsonString());
if (options.OutputFile is not null)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.OutputFile))!);
    File.AppendAllText(options.OutputFile, result.ToJsonString() + Environment.NewLine);
}
foreach (var (key, value) in result)
    if (value is not JsonArray) Console.WriteLine($"  {key,-34} {value}");
return 0;
