using System.Text.Json.Nodes;

namespace FastChat.Charts;

/// <summary>Delivered msgs/s and p99 latency against pairs, one line per window (100-byte payloads, no idle connections).</summary>
internal static class ThroughputCharts
{
    public static IEnumerable<string> Render(SoakRuns runs, string folder)
    {
        var sweep = runs.Mode("throughput").Where(r => SoakRuns.Number(r, "idle") == 0 && SoakRuns.Number(r, "size") == 100).ToArray();
        if (sweep.Length == 0) yield break;
        var windows = sweep.GroupBy(r => SoakRuns.Number(r, "window")).OrderBy(g => g.Key).ToArray();
        var allPairs = sweep.Select(r => SoakRuns.Number(r, "pairs")).ToArray();

        var rate = ChartStyle.New("Delivered messages per second (median of runs)", "sender → receiver pairs (log scale)", "msgs/s");
        var p99 = ChartStyle.New("p99 latency, send → receive (median of runs)", "sender → receiver pairs (log scale)", "p99 latency (µs, log scale)");
        var p99Values = new List<double>();
        foreach (var window in windows)
        {
            var points = window.GroupBy(r => SoakRuns.Number(r, "pairs")).OrderBy(g => g.Key).ToArray();
            var xs = points.Select(g => Math.Log10(g.Key)).ToArray();
            ChartStyle.Line(rate, xs, points.Select(g => Median(g, "msgs_per_second")).ToArray(), $"window {window.Key}");
            var latencies = points.Select(g => Median(g, "latency_p99_us")).ToArray();
            p99Values.AddRange(latencies);
            ChartStyle.Line(p99, xs, latencies.Select(Math.Log10).ToArray(), $"window {window.Key}");
        }
        ChartStyle.LogTicks(rate.Axes.Bottom, allPairs);
        ChartStyle.LogTicks(p99.Axes.Bottom, allPairs);
        ChartStyle.LogTicks(p99.Axes.Left, DecadesAround(p99Values));
        rate.Axes.SetLimitsY(0, sweep.Max(r => SoakRuns.Number(r, "msgs_per_second")) * 1.1);
        yield return ChartStyle.Save(rate, folder, "throughput-vs-pairs.png");
        yield return ChartStyle.Save(p99, folder, "p99-vs-pairs.png");
    }

    private static double Median(IEnumerable<JsonObject> runs, string key) => SoakRuns.Median(runs.Select(r => SoakRuns.Number(r, key)));

    private static IEnumerable<double> DecadesAround(List<double> values)
    {
        int low = (int)Math.Floor(Math.Log10(values.Min())), high = (int)Math.Ceiling(Math.Log10(values.Max()));
        return Enumerable.Range(low, high - low + 1).Select(e => Math.Pow(10, e));
    }
}
