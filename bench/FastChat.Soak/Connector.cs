using System.Net;

namespace FastChat.Soak;

/// <summary>Opens many authenticated connections in parallel, spread over loopback source addresses.</summary>
internal static class Connector
{
    public static async Task<(LeanConnection?[] Connections, int Failed, double Seconds)> OpenManyAsync(
        IPEndPoint server, IReadOnlyList<string> users, SourceAddresses sources, int parallelism, string label)
    {
        var opened = new LeanConnection?[users.Count];
        int done = 0, failed = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var progress = new Timer(_ => Console.Error.Write($"\r{label}: {Volatile.Read(ref done)}/{users.Count} connected, {Volatile.Read(ref failed)} failed   "), null, 0, 500);
        await Parallel.ForAsync(0, users.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
        {
            try
            {
                opened[i] = await LeanConnection.OpenAsync(server, sources.For(i), users[i], ct);
                Interlocked.Increment(ref done);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref failed);
            }
        });
        double seconds = watch.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"\r{label}: {done}/{users.Count} connected in {seconds:F1} s, {failed} failed          ");
        return (opened, failed, seconds);
    }

    /// <summary>
    /// One connection per base name to <paramref name="server"/> for a user homed there: a cluster
    /// node redirects users homed elsewhere, so each base name gets suffixes (<c>h0</c>, <c>h1</c>, …)
    /// until one is accepted. Returns the connections and the names that were.
    /// </summary>
    public static async Task<(LeanConnection[] Connections, string[] Names)> OpenHomedAsync(IPEndPoint server, IReadOnlyList<string> baseNames,
        SourceAddresses sources, int parallelism, string label)
    {
        var opened = new LeanConnection[baseNames.Count];
        var names = new string[baseNames.Count];
        await Parallel.ForAsync(0, baseNames.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
        {
            for (int k = 0; k < 256 && opened[i] is null; k++)
            {
                try { (opened[i], names[i]) = (await LeanConnection.OpenAsync(server, sources.For(i), $"{baseNames[i]}h{k}", ct), $"{baseNames[i]}h{k}"); }
                catch (Exception) { } // redirected: homed on another node
            }
            if (opened[i] is null) throw new InvalidOperationException($"no name homed at {server} for {baseNames[i]}");
        });
        Console.Error.WriteLine($"{label}: {baseNames.Count} users homed at {server}");
        return (opened, names);
    }

    /// <summary>
    /// Makes sure <paramref name="users"/> exist: each connects once (registering a new name) and
    /// is closed again, a batch at a time so the open files stay far below this process's limit.
    /// Unmeasured set-up; returns how many failed.
    /// </summary>
    public static async Task<int> RegisterAsync(IPEndPoint server, IReadOnlyList<string> users, SourceAddresses sources, int parallelism)
    {
        const int Batch = 4000;
        int failures = 0;
        for (int start = 0; start < users.Count; start += Batch)
        {
            var batch = users.Skip(start).Take(Batch).ToArray();
            var (registered, failed, _) = await OpenManyAsync(server, batch, sources, parallelism, "register");
            foreach (var c in registered) c?.Dispose();
            failures += failed;
        }
        return failures;
    }
}
