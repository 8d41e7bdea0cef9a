namespace FastChat.Charts;

/// <summary>Server memory per idle authenticated connection against the number held (idle runs, medians per N).</summary>
internal static class IdleChart
{
    public static string? Render(SoakRuns runs, string folder)
    {
        var byConns = runs.Mode("idle").GroupBy(r => SoakRuns.Number(r, "conns")).OrderBy(g => g.Key).ToArray();
        if (byConns.Length == 0) return null;
        var conns = byConns.Select(g => g.Key).ToArray();
        var plot = ChartStyle.New("Server memory per idle authenticated connection (median of runs)", "connections held", "KB per connection");
        ChartStyle.Line(plot, conns, byConns.Select(g => SoakRuns.Median(g.Select(r => SoakRuns.Number(r, "server_rss_bytes_per_conn") / 1000))).ToArray(), "server RSS");
        var heap = byConns.Select(g => SoakRuns.Median(g.Select(r => SoakRuns.Number(r, "server_live_heap_bytes_per_conn") / 1000))).ToArray();
        if (heap.Any(h => !double.IsNaN(h))) ChartStyle.Line(plot, conns, heap, "live managed heap (after full GC)");
        ChartStyle.Target(plot, 3.0, "target: 3 KB RSS");
        plot.Axes.SetLimitsY(0, Math.Max(4, byConns.Max(g => SoakRuns.Median(g.Select(r => SoakRuns.Number(r, "server_rss_bytes_per_conn") / 1000))) * 1.15));
        return ChartStyle.Save(plot, folder, "idle-memory-per-connection.png");
    }
}
