namespace FastChat.Soak;

/// <summary>
/// Where a mode takes its server samples. Every sample is also a barrier: run alone, the
/// harness reads /proc itself; as one shard of a split run, it waits until every shard has
/// reached the same point and receives the sample the coordinator took there, so all shards
/// measure the same window of the same server.
/// </summary>
internal abstract class RunSync
{
    public abstract Task<ProcessSample> SampleAsync(string phase, bool withHeap = false);
}

/// <summary>A harness running a whole run by itself.</summary>
internal sealed class LocalSync(params int[] serverPids) : RunSync
{
    /// <summary>Several processes (a cluster's nodes): CPU and RSS summed.</summary>
    public override Task<ProcessSample> SampleAsync(string phase, bool withHeap = false)
    {
        var samples = serverPids.Select(pid => ProcessSample.Take(pid, withHeap && serverPids.Length == 1)).ToArray();
        return Task.FromResult(samples.Length == 1 ? samples[0]
            : new ProcessSample(samples.Sum(s => s.RssBytes), samples.Sum(s => s.CpuSeconds), samples[0].At));
    }
}

/// <summary>
/// One shard under a <see cref="ShardCoordinator"/>: announces the barrier on stdout
/// (<c>@ready PHASE HEAP</c>) and waits on stdin for <c>@go SAMPLE</c>.
/// </summary>
internal sealed class ShardChildSync : RunSync
{
    public override async Task<ProcessSample> SampleAsync(string phase, bool withHeap = false)
    {
        Console.Out.WriteLine($"{ShardProtocol.Ready} {phase} {(withHeap ? 1 : 0)}");
        Console.Out.Flush();
        var line = await Console.In.ReadLineAsync() ?? throw new InvalidOperationException("coordinator went away");
        if (!line.StartsWith(ShardProtocol.Go + " ", StringComparison.Ordinal)) throw new InvalidOperationException($"unexpected coordinator line: {line}");
        return ProcessSample.Parse(line[(ShardProtocol.Go.Length + 1)..]);
    }
}

/// <summary>The line protocol between a coordinator and its shard processes.</summary>
internal static class ShardProtocol
{
    public const string Ready = "@ready";
    public const string Go = "@go";
}
