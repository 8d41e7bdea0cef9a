namespace FastChat.Charts;

/// <summary>The runtime-settings study: one bar per server environment, medians of its runs.</summary>
internal static class RuntimeSettingsCharts
{
    public static IEnumerable<string> Render(SoakRuns runs, string folder)
    {
        var throughput = runs.ModeByEnvironment("throughput").Where(x => SoakRuns.Number(x.Run, "pairs") == 100 && SoakRuns.Number(x.Run, "window") == 16 && SoakRuns.Number(x.Run, "idle") == 0);
        if (throughput.Select(x => x.Env).Distinct().Count() > 1)
            yield return Bars(throughput, "msgs_per_second", 1, "Runtime settings: P=100 W=16 (median msgs/s)", "msgs/s", folder, "runtime-settings-throughput.png");
        var idle = runs.ModeByEnvironment("idle").Where(x => SoakRuns.Number(x.Run, "conns") == 5000);
        if (idle.Select(x => x.Env).Distinct().Count() > 1)
            yield return Bars(idle, "server_rss_bytes_per_conn", 1000, "Runtime settings: idle connections (median server RSS per connection)", "KB per connection", folder, "runtime-settings-idle.png");
    }

    private static string Bars(IEnumerable<(string Env, System.Text.Json.Nodes.JsonObject Run)> runs, string key, double scale, string title, string yLabel, string folder, string name)
    {
        var groups = runs.GroupBy(x => x.Env).OrderBy(g => g.Key).ToArray();
        var plot = ChartStyle.New(title, "server environment", yLabel);
        var values = groups.Select(g => SoakRuns.Median(g.Select(x => SoakRuns.Number(x.Run, key) / scale))).ToArray();
        var bars = plot.Add.Bars(values);
        for (int i = 0; i < bars.Bars.Count; i++) bars.Bars[i].Label = values[i].ToString("#,0.#", System.Globalization.CultureInfo.InvariantCulture);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, groups.Length).Select(i => (double)i).ToArray(),
            groups.Select(g => g.Key.Length == 0 ? "defaults" : g.Key.Replace("DOTNET_", "").Replace(' ', '\n')).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsY(0, values.Max() * 1.2);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 10;
        var path = Path.Combine(folder, name);
        plot.SavePng(path, ChartStyle.Width + 240, ChartStyle.Height);
        return path;
    }
}
