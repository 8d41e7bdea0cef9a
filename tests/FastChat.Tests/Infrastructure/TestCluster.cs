namespace FastChat.Tests.Infrastructure;

/// <summary>
/// N real server processes on loopback, each with its own port and data directory (deleted at the
/// end): independent single nodes (<see cref="StartAsync"/>), or one cluster over a real etcd
/// (<see cref="StartMeshAsync"/>).
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<TempDirectory> _directories = new();
    private readonly List<ServerProcess> _nodes = new();
    private readonly List<string[]> _args = new();
    private readonly List<(int Node, IReadOnlyList<string> Output)> _retired = new(); // logs of restarted nodes' earlier lives
    private Func<int, string[]>? _meshArgs;

    public IReadOnlyList<ServerProcess> Nodes => _nodes;

    /// <param name="argsFor">Extra command-line settings for node i (cluster settings, later).</param>
    public static async Task<TestCluster> StartAsync(int count, Func<int, string[]>? argsFor = null)
    {
        var cluster = new TestCluster();
        try
        {
            for (int i = 0; i < count; i++) cluster._directories.Add(new TempDirectory());
            for (int i = 0; i < count; i++) cluster._args.Add(argsFor?.Invoke(i) ?? []);
            var started = await Task.WhenAll(Enumerable.Range(0, count)
                .Select(i => ServerProcess.StartAsync(cluster._directories[i], cluster._args[i])));
            cluster._nodes.AddRange(started);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Node ids of a mesh: node1..nodeN.</summary>
    public static string NodeId(int i) => $"node{i + 1}";

    /// <summary>
    /// <paramref name="count"/> cluster nodes registered in <paramref name="etcd"/>, returned once
    /// every node has the partition table and a live link to every other node.
    /// </summary>
    public static async Task<TestCluster> StartMeshAsync(EtcdServer etcd, int count, Func<int, string[]>? extraArgs = null)
    {
        string name = "t" + Guid.NewGuid().ToString("N")[..8];
        string[] MeshArgs(int i) => [
            $"--FastChat:Port={FreePorts.Next()}",
            $"--FastChat:Cluster:Etcd={etcd.Endpoint}",
            $"--FastChat:Cluster:Name={name}",
            $"--FastChat:Cluster:NodeId={NodeId(i)}",
            $"--FastChat:Cluster:BootstrapExpect={count}",
            // Twice the default: a node starved of CPU by a parallel test run is not taken for dead
            // (and failed over). Tests about failure detection set their own.
            "--FastChat:Cluster:LeaseTtlSeconds=10",
            .. extraArgs?.Invoke(i) ?? []];
        var cluster = await StartAsync(count, MeshArgs);
        cluster._meshArgs = MeshArgs;
        try
        {
            await cluster.WaitForMeshAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more node of this mesh (node N+1); it joins, and the cluster moves partitions to it.</summary>
    public async Task<ServerProcess> AddNodeAsync()
    {
        var args = _meshArgs ?? throw new InvalidOperationException("not a mesh");
        var directory = new TempDirectory();
        _directories.Add(directory);
        _args.Add(args(_nodes.Count));
        var node = await ServerProcess.StartAsync(directory, _args[^1]);
        _nodes.Add(node);
        return node;
    }

    /// <summary>
    /// Starts node <paramref name="i"/> again (after a kill or a drain) under the same id: on its
    /// old data directory, or on an empty one (<paramref name="wipe"/>: its disk was lost); on a new
    /// port, or on its old one (<paramref name="samePort"/>, as an operator's restart does).
    /// </summary>
    public async Task<ServerProcess> RestartNodeAsync(int i, bool wipe, bool samePort = false)
    {
        var args = _meshArgs ?? throw new InvalidOperationException("not a mesh");
        await _nodes[i].DisposeAsync();
        _retired.Add((i, _nodes[i].Output));
        if (!samePort) _args[i] = args(i);
        string directory = _nodes[i].DataDirectory;
        if (wipe)
        {
            var fresh = new TempDirectory();
            _directories.Add(fresh);
            directory = fresh;
        }
        return _nodes[i] = await ServerProcess.StartAsync(directory, _args[i]);
    }

    /// <summary>How many partitions node <paramref name="i"/> said it owns in its latest view (-1 before any).</summary>
    public int OwnedBy(int i)
    {
        var output = _nodes[i].Output;
        for (int k = output.Count - 1; k >= 0; k--)
        {
            var match = System.Text.RegularExpressions.Regex.Match(output[k], @"this node owns (\d+) partitions");
            if (match.Success) return int.Parse(match.Groups[1].Value);
        }
        return -1;
    }

    /// <summary>
    /// For a failure message: each node's last membership and peer-link lines (views, in-sync
    /// reports, failovers, hand-offs, links up and down), which say why a cluster did not get where a test waited for.
    /// </summary>
    public string MembershipStory(int lines = 25)
    {
        static bool Telling(string line) => line.Contains("Cluster view", StringComparison.Ordinal) || line.Contains("in sync", StringComparison.Ordinal)
            || line.Contains("Fail", StringComparison.Ordinal) || line.Contains("ownership change", StringComparison.Ordinal)
            || line.Contains("Peer link", StringComparison.Ordinal) || line.Contains("Synced", StringComparison.Ordinal) || line.Contains("Froze", StringComparison.Ordinal);
        return string.Join("\n---\n", _nodes.Select((n, i) => $"{NodeId(i)}{(n.HasExited ? " (exited)" : "")}:\n" + string.Join("\n", n.Output.Where(Telling).TakeLast(lines))));
    }

    /// <summary>How many times a node logged that it completed an ownership change.</summary>
    public int CompletedChanges() => _nodes.Sum(n => n.Output.Count(l => l.Contains("Completed the ownership change", StringComparison.Ordinal)));

    /// <summary>Waits until every node logged a bootstrapped view of all nodes and a link up to each other node.</summary>
    public async Task WaitForMeshAsync(TimeSpan? timeout = null)
    {
        int count = _nodes.Count;
        bool Formed() => Enumerable.Range(0, count).All(i =>
        {
            var output = _nodes[i].Output;
            bool viewed = output.Any(l => l.Contains($"{count} live members", StringComparison.Ordinal) && !l.Contains("owns 0 partitions", StringComparison.Ordinal));
            return viewed && Enumerable.Range(0, count).Where(j => j != i).All(j => LinkUp(output, NodeId(j)));
        });
        await Eventually.TrueAsync(Formed, timeout ?? TimeSpan.FromSeconds(60),
            () => "the mesh did not form:\n" + string.Join("\n---\n", _nodes.Select(n => string.Join("\n", n.Output.TakeLast(30)))));
    }

    private static bool LinkUp(IReadOnlyList<string> output, string peer)
    {
        // The last word about this link must be "up".
        for (int i = output.Count - 1; i >= 0; i--)
        {
            if (output[i].Contains($"Peer link to {peer} up.", StringComparison.Ordinal)) return true;
            if (output[i].Contains($"Peer link to {peer} down.", StringComparison.Ordinal)) return false;
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("FASTCHAT_DUMP_LOGS") is { } dump)
        {
            // One folder per cluster: tests run in parallel and each would overwrite the others' logs.
            var folder = Directory.CreateDirectory(Path.Combine(dump, $"{DateTime.UtcNow:HHmmss}-{Guid.NewGuid():N}"[..15])).FullName;
            for (int i = 0; i < _nodes.Count; i++) File.WriteAllLines(Path.Combine(folder, $"node{i + 1}.log"), _nodes[i].Output);
            for (int k = 0; k < _retired.Count; k++) File.WriteAllLines(Path.Combine(folder, $"node{_retired[k].Node + 1}.before-restart-{k}.log"), _retired[k].Output);
        }
        foreach (var node in _nodes) await node.DisposeAsync();
        foreach (var directory in _directories) directory.Dispose();
    }
}
