using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace FastChat.Charts;

/// <summary>Medians of every configuration as markdown tables (summary.md beside the charts), for RESULTS.md and issue notes.</summary>
internal static class MarkdownSummary
{
    public static string Write(SoakRuns runs, string folder)
    {
        var text = new StringBuilder();
        Table(text, "idle", runs.Mode("idle"), r => $"{Format(r, "conns")} connections",
            ("server RSS / conn (B)", "server_rss_bytes_per_conn"), ("live heap / conn (B)", "server_live_heap_bytes_per_conn"),
            ("connects/s", "connects_per_second"), ("server CPU (s)", "server_cpu_seconds"));
        Table(text, "throughput", runs.Mode("throughput"), r => $"P={Format(r, "pairs")} W={Format(r, "window")}{(Number(r, "idle") > 0 ? $" +{Format(r, "idle")} idle" : "")}",
            ("msgs/s", "msgs_per_second"), ("p50 µs", "latency_p50_us"), ("p99 µs", "latency_p99_us"), ("p99.9 µs", "latency_p999_us"),
            ("server CPU µs/msg", "server_cpu_us_per_msg"), ("lost", "lost"), ("dup", "duplicated"), ("reordered", "reordered"), ("corrupt", "corrupted"));
        Table(text, "handshake", runs.Mode("handshake"), r => $"{Format(r, "conns")} reconnecting",
            ("handshakes/s", "handshakes_per_second"), ("server CPU µs/handshake", "server_cpu_us_per_handshake"), ("failed", "failed"));
        Table(text, "offline", runs.Mode("offline"), r => $"U={Format(r, "users")} M={Format(r, "msgs")} W={Format(r, "window")}",
            ("acked enqueues/s", "acked_enqueues_per_second"), ("server CPU µs/enqueue", "server_cpu_us_per_enqueue"),
            ("drained/s", "drained_per_second"), ("server CPU µs/drained", "server_cpu_us_per_drained"), ("missing", "missing"), ("duplicated", "duplicated"));
        var byEnv = runs.ModeByEnvironment("throughput").Where(x => Number(x.Run, "pairs") == 100 && Number(x.Run, "window") == 16 && Number(x.Run, "idle") == 0).ToArray();
        if (byEnv.Select(x => x.Env).Distinct().Count() > 1)
        {
            Table(text, "runtime settings, throughput P=100 W=16", byEnv.Select(x => x.Run), r => Env(r),
                ("msgs/s", "msgs_per_second"), ("server CPU µs/msg", "server_cpu_us_per_msg"), ("p99 µs", "latency_p99_us"));
            var idle = runs.ModeByEnvironment("idle").Where(x => Number(x.Run, "conns") == 5000).Select(x => x.Run);
            Table(text, "runtime settings, idle 5,000", idle, r => Env(r),
                ("server RSS / conn (B)", "server_rss_bytes_per_conn"), ("live heap / conn (B)", "server_live_heap_bytes_per_conn"));
        }
        var path = Path.Combine(folder, "summary.md");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static string Env(JsonObject run) => SoakRuns.Text(run, "server_env") is { Length: > 0 } env ? env : "defaults";

    private static string Format(JsonObject run, string key) => SoakRuns.Number(run, key).ToString("0.###", CultureInfo.InvariantCulture);
    private static double Number(JsonObject run, string key) => SoakRuns.Number(run, key);

    private static void Table(StringBuilder text, string title, IEnumerable<JsonObject> runs, Func<JsonObject, string> configuration, params (string Header, string Key)[] columns)
    {
        var groups = runs.GroupBy(configuration)
            .OrderBy(g => SoakRuns.Number(g.First(), "conns")).ThenBy(g => SoakRuns.Number(g.First(), "window"))
            .ThenBy(g => SoakRuns.Number(g.First(), "pairs")).ThenBy(g => SoakRuns.Number(g.First(), "idle"))
            .ThenBy(g => g.Key, StringComparer.Ordinal).ToArray();
        if (groups.Length == 0) return;
        text.AppendLine($"### {title} (median of runs)").AppendLine();
        text.AppendLine($"| configuration | runs | {string.Join(" | ", columns.Select(c => c.Header))} |");
        text.AppendLine($"|---|---:|{string.Concat(columns.Select(_ => "---:|"))}");
        foreach (var group in groups)
        {
            var cells = columns.Select(c => SoakRuns.Median(group.Select(r => SoakRuns.Number(r, c.Key))).ToString("#,0.##", CultureInfo.InvariantCulture));
            text.AppendLine($"| {group.Key} | {group.Count()} | {string.Join(" | ", cells)} |");
        }
        text.AppendLine();
    }
}
