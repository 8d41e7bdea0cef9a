namespace FastChat.Tests.Infrastructure;

/// <summary>
/// N real server processes on loopback, each with its own port and data directory (deleted at the
/// end). Today they are independent single nodes; the peer mesh's tests start its fleets here.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<TempDirectory> _directories = new();
    private readonly List<ServerProcess> _nodes = new();

    public IReadOnlyList<ServerProcess> Nodes => _nodes;

    /// <param name="argsFor">Extra command-line settings for node i (cluster settings, later).</param>
    public static async Task<TestCluster> StartAsync(int count, Func<int, string[]>? argsFor = null)
    {
        var cluster = new TestCluster();
        try
        {
            for (int i = 0; i < count; i++) cluster._directories.Add(new TempDirectory());
            var started = await Task.WhenAll(Enumerable.Range(0, count)
                .Select(i => ServerProcess.StartAsync(cluster._directories[i], argsFor?.Invoke(i) ?? [])));
            cluster._nodes.AddRange(started);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        foreach (var directory in _directories) directory.Dispose();
    }
}
