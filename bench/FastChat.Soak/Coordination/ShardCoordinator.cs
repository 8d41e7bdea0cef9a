using System.Text.Json.Nodes;

namespace FastChat.Soak;

/// <summary>
/// <c>--shards n</c>: splits one run over n harness processes (one process may open at most
/// ~20,000 files here). Starts them as <c>--shard i/n</c> against the same server, lets them all
/// pass each measuring point together while it samples the server there, and merges their
/// result lines into one.
/// </summary>
internal static class ShardCoordinator
{
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, int shardCount, IEnumerable<string> childArgs, MergeRules rules)
    {
        var shards = Enumerable.Range(0, shardCount).Select(i => ShardProcess.Start(new ShardSpec(i, shardCount), childArgs, server)).ToArray();
        try
        {
            while (true)
            {
                var reports = await AllOrFirstFailure(shards.Select(s => s.NextAsync()).ToArray());
                if (reports.All(r => r.Result is not null))
                    return ShardMerge.Merge(reports.Select(r => r.Result!).ToArray(), rules);
                var phases = reports.Select(r => r.Phase).Distinct().ToArray();
                if (phases.Length != 1 || phases[0] is null) throw new InvalidOperationException($"shards out of step: {string.Join(", ", phases)}");
                var sample = ProcessSample.Take(server.Pid, reports.Any(r => r.WantsHeap));
                await Task.WhenAll(shards.Select(s => s.GoAsync(sample)));
            }
        }
        finally
        {
            foreach (var shard in shards) shard.Dispose();
        }
    }

    /// <summary>Waits for every shard, but fails as soon as one does (the others would wait at the barrier forever).</summary>
    private static async Task<T[]> AllOrFirstFailure<T>(Task<T>[] tasks)
    {
        var pending = tasks.ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            await done; // rethrows a failure
            pending.Remove(done);
        }
        return tasks.Select(t => t.Result).ToArray();
    }
}
