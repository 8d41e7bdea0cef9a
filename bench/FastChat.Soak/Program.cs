using System.Text.Json.Nodes;
using FastChat.Soak;

// fastchat-soak: drives a real FastChat server over loopback with the real protocol.
//   idle --conns N | throughput --pairs P --seconds S --size B --window W [--idle N]
//   handshake --conns N | offline --users U --msgs M [--window W]
//   [--spawn-server (default) | --server HOST:PORT --server-pid PID]
// Prints a live progress line on stderr, then ONE JSON line and a short summary on stdout.
var options = SoakOptions.Parse(args);
if (options.Mode is null)
{
    Console.Error.WriteLine("""
        usage: fastchat-soak MODE [options] [--server HOST:PORT --server-pid PID] [--FastChat:Key=Value ...]
          idle --conns N                                          server memory per idle authenticated connection
          throughput --pairs P --seconds S --size B --window W [--idle N]
          handshake --conns N                                     reconnect storm: handshakes/s, server CPU per handshake
          offline --users U --msgs M [--window W]                 acked durable enqueues/s, then drain, exactly once
        common: --sources K (loopback source addresses 127.0.0.1..K), --parallel P (concurrent handshakes), --user-prefix X
        """);
    return 2;
}
using var server = options.Server is null
    ? await ServerUnderTest.SpawnAsync(options.ServerArgs)
    : ServerUnderTest.Attach(options.Server, options.ServerPid);

JsonObject result = options.Mode switch
{
    "idle" => await IdleMode.RunAsync(server, options.Connections, new SourceAddresses(options.Sources), options.Parallelism, options.UserPrefix),
    "throughput" => await ThroughputMode.RunAsync(server, options, new SourceAddresses(options.Sources)),
    "handshake" => await HandshakeMode.RunAsync(server, options, new SourceAddresses(options.Sources)),
    "offline" => await OfflineMode.RunAsync(server, options, new SourceAddresses(options.Sources)),
    _ => throw new ArgumentException($"unknown mode {options.Mode}"),
};
result["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}";
result["date"] = DateTime.UtcNow.ToString("O");
Console.WriteLine(result.ToJsonString());
foreach (var (key, value) in result)
    if (value is not JsonArray) Console.WriteLine($"  {key,-34} {value}");
return 0;

internal sealed class SoakOptions
{
    public string? Mode { get; private set; }
    public int Connections { get; private set; } = 1000;
    public int Sources { get; private set; } = 4;
    public int Parallelism { get; private set; } = 64;
    public string? Server { get; private set; }
    public int ServerPid { get; private set; }
    public string UserPrefix { get; private set; } = "";
    public int Pairs { get; private set; } = 100;
    public int Seconds { get; private set; } = 10;
    public int Size { get; private set; } = 100;
    public int Window { get; private set; } = 16;
    public int Idle { get; private set; }
    public int Users { get; private set; } = 1000;
    public int Messages { get; private set; } = 100000;
    public List<string> ServerArgs { get; } = new();

    public static SoakOptions Parse(string[] args)
    {
        var o = new SoakOptions();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--conns": o.Connections = int.Parse(args[++i]); break;
                case "--sources": o.Sources = int.Parse(args[++i]); break;
                case "--parallel": o.Parallelism = int.Parse(args[++i]); break;
                case "--server": o.Server = args[++i]; break;
                case "--server-pid": o.ServerPid = int.Parse(args[++i]); break;
                case "--user-prefix": o.UserPrefix = args[++i]; break;
                case "--pairs": o.Pairs = int.Parse(args[++i]); break;
                case "--seconds": o.Seconds = int.Parse(args[++i]); break;
                case "--size": o.Size = int.Parse(args[++i]); break;
                case "--window": o.Window = int.Parse(args[++i]); break;
                case "--idle": o.Idle = int.Parse(args[++i]); break;
                case "--users": o.Users = int.Parse(args[++i]); break;
                case "--msgs": o.Messages = int.Parse(args[++i]); break;
                case "--spawn-server": break;
                case var a when a.StartsWith("--FastChat:", StringComparison.Ordinal) || a.StartsWith("--Logging:", StringComparison.Ordinal): o.ServerArgs.Add(a); break;
                case var a when !a.StartsWith("--", StringComparison.Ordinal) && o.Mode is null: o.Mode = a; break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        return o;
    }
}
