using System.Net;

namespace FastChat.Soak;

/// <summary>The harness's command line. As shard i/n, every count is this shard's share of it.</summary>
internal sealed class SoakOptions
{
    public string? Mode { get; private set; }
    public int Connections { get; private set; } = 1000;
    public int Sources { get; private set; } = 4;
    public int Parallelism { get; private set; } = 64;
    public string? Server { get; private set; }
    /// <summary>throughput on a cluster: receivers connect here (users homed on this node), senders to <see cref="Server"/>.</summary>
    public string? ReceiversAt { get; private set; }
    /// <summary>Server CPU and RSS are summed over these processes (every node of a cluster) instead of the server's alone.</summary>
    public List<int> CpuPids { get; } = new();
    public int ServerPid { get; private set; }
    /// <summary>failover: the node the harness kills.</summary>
    public int VictimPid { get; private set; }
    /// <summary>history: the SDK clients' seed nodes (HOST:PORT each); default the server.</summary>
    public List<string> Seeds { get; } = new();
    /// <summary>history: messages a second per sender.</summary>
    public int Rate { get; private set; } = 20;
    public string UserPrefix { get; private set; } = "";
    public int Pairs { get; private set; } = 100;
    public int Seconds { get; private set; } = 10;
    public int Size { get; private set; } = 100;
    public int Window { get; private set; } = 16;
    public int Idle { get; private set; }
    public int Users { get; private set; } = 1000;
    public int Messages { get; private set; } = 100000;
    /// <summary>offline on a cluster node: the users and the sender are names homed on the server (a suffix picked per name).</summary>
    public bool Homed { get; private set; }
    /// <summary>offline: leave the queues full (no drain), for a later catch-up or hand-off measurement.</summary>
    public bool Keep { get; private set; }
    /// <summary>idle: measure first connections of new users (registration included) rather than logins.</summary>
    public bool FreshUsers { get; private set; }
    /// <summary>throughput: each SEND alone in its own record and its own send(), as a phone sends (default: a window's SENDs batched in one record).</summary>
    public bool OnePerRecord { get; private set; }
    /// <summary>&gt; 1: this process coordinates that many shard processes.</summary>
    public int Shards { get; private set; } = 1;
    /// <summary>This process is one shard of a split run.</summary>
    public ShardSpec Shard { get; private set; } = ShardSpec.Whole;
    public List<string> ServerArgs { get; } = new();
    /// <summary>Environment for a spawned server (runtime settings: DOTNET_gcServer=1, …).</summary>
    public Dictionary<string, string> ServerEnvironment { get; } = new();
    /// <summary>Also append the result line to this file.</summary>
    public string? OutputFile { get; private set; }
    /// <summary>The arguments a coordinator passes on to its shards.</summary>
    public List<string> ShardArgs { get; } = new();

    /// <summary>Each shard its own loopback source addresses: 127.0.0.(i·K + 1) … (i·K + K).</summary>
    public SourceAddresses SourceAddresses => new(Sources, Shard.Index * Sources);

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
                case "--shards": o.Shards = int.Parse(args[++i]); break;
                case "--shard": o.Shard = ShardSpec.Parse(args[++i]); break;
                case "--fresh-users": o.FreshUsers = true; break;
                case "--one-per-record": o.OnePerRecord = true; break;
                case "--spawn-server": break;
                case "--server-env":
                    var pair = args[++i].Split('=', 2);
                    if (pair.Length != 2) throw new ArgumentException($"--server-env {args[i]}: want NAME=VALUE");
                    o.ServerEnvironment[pair[0]] = pair[1];
                    break;
                case "--out": o.OutputFile = args[++i]; break;
                case "--receivers-at": o.ReceiversAt = args[++i]; break;
                case "--victim-pid": o.VictimPid = int.Parse(args[++i]); break;
                case "--seeds": o.Seeds.AddRange(args[++i].Split(',')); break;
                case "--rate": o.Rate = int.Parse(args[++i]); break;
                case "--homed": o.Homed = true; break;
                case "--keep": o.Keep = true; break;
                case "--cpu-pids": o.CpuPids.AddRange(args[++i].Split(',').Select(int.Parse)); break;
                case var a when a.StartsWith("--FastChat:", StringComparison.Ordinal) || a.StartsWith("--Logging:", StringComparison.Ordinal):
                    o.ServerArgs.Add(a); break;
                case var a when !a.StartsWith("--", StringComparison.Ordinal) && o.Mode is null: o.Mode = a; break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        o.ShardArgs.AddRange(ArgumentsForShards(args));
        if (o.Shards < 1) throw new ArgumentException("--shards must be at least 1");
        if ((o.Shards > 1 ? o.Shards : o.Shard.Count) * o.Sources > 254) throw new ArgumentException("shards × --sources must stay within 127.0.0.1–254");
        o.ApplyShare();
        return o;
    }

    /// <summary>The command line minus what only the coordinator acts on (server choice, server settings, sharding).</summary>
    private static IEnumerable<string> ArgumentsForShards(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "--shards" or "--shard" or "--server" or "--server-pid" or "--server-env" or "--out") { i++; continue; }
            if (args[i] == "--spawn-server" || args[i].StartsWith("--FastChat:", StringComparison.Ordinal) || args[i].StartsWith("--Logging:", StringComparison.Ordinal)) continue;
            yield return args[i];
        }
    }

    private void ApplyShare()
    {
        if (Shard.Count == 1) return;
        Connections = Shard.Share(Connections);
        Pairs = Shard.Share(Pairs);
        Idle = Shard.Share(Idle);
        Users = Shard.Share(Users);
        Messages = Shard.Share(Messages);
        UserPrefix = Shard.UserPrefix(UserPrefix);
    }
}

/// <summary>Spreads connections over several loopback source addresses to widen the port space.</summary>
internal sealed class SourceAddresses(int count, int offset = 0)
{
    private readonly IPAddress[] _addresses = Enumerable.Range(offset + 1, Math.Max(1, count)).Select(i => IPAddress.Parse($"127.0.0.{i}")).ToArray();
    public IPAddress For(int index) => _addresses[index % _addresses.Length];
}
