namespace FastChat.Charts;

/// <summary>One run second by second: delivered msgs/s (left axis) and p99 (right axis), for the run with the median rate.</summary>
internal static class TimelineChart
{
    public static IEnumerable<string> Render(SoakRuns runs, string folder)
    {
        var groups = runs.Mode("throughput").Where(r => r["series"] is not null)
            .GroupBy(r => (Pairs: SoakRuns.Number(r, "pairs"), Window: SoakRuns.Number(r, "window"), Idle: SoakRuns.Number(r, "idle")));
        foreach (var group in groups.Where(g => IsShown(g.Key)))
        {
            var run = SoakRuns.MedianRun(group, "msgs_per_second");
            var series = run["series"]!.AsArray().Select(p => p!.AsObject()).ToArray();
            var seconds = series.Select(p => SoakRuns.Number(p, "second")).ToArray();
            string idle = group.Key.Idle > 0 ? $", {group.Key.Idle:#,0} idle connections beside" : "";
            var plot = ChartStyle.New($"One run over time: P={group.Key.Pairs} W={group.Key.Window}{idle}", "second of the measured window", "delivered msgs/s");
            ChartStyle.Line(plot, seconds, series.Select(p => SoakRuns.Number(p, "msgs")).ToArray(), "msgs/s");
            var p99 = ChartStyle.Line(plot, seconds, series.Select(p => SoakRuns.Number(p, "p99_us") / 1000).ToArray(), "p99 (ms, right axis)");
            p99.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "p99 latency (ms)";
            plot.Axes.SetLimitsY(0, series.Max(p => SoakRuns.Number(p, "msgs")) * 1.2, plot.Axes.Left);
            plot.Axes.SetLimitsY(0, series.Max(p => SoakRuns.Number(p, "p99_us")) / 1000 * 1.2, plot.Axes.Right);
            yield return ChartStyle.Save(plot, folder, $"timeline-p{group.Key.Pairs}-w{group.Key.Window}-idle{group.Key.Idle}.png");
        }
    }

    /// <summary>The configurations the targets name.</summary>
    private static bool IsShown((double Pairs, double Window, double Idle) key) =>
        key is (100, 16, 0) or (100, 16, 15000) or (1000, 4, 0);
}
