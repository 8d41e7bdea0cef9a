using System.Globalization;
using System.Text.Json.Nodes;

namespace FastChat.Charts;

/// <summary>The soak harness's result lines (one JSON object per run) from every *.jsonl under a folder.</summary>
internal sealed class SoakRuns(IReadOnlyList<JsonObject> runs)
{
    public static SoakRuns Load(string folder)
    {
        var runs = new List<JsonObject>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.jsonl", SearchOption.AllDirectories).Order())
            foreach (var line in File.ReadLines(file))
                if (line.StartsWith('{') && JsonNode.Parse(line) is JsonObject run)
                    runs.Add(run);
        return new SoakRuns(runs);
    }

    public int Count => runs.Count;

    /// <summary>Runs of one mode on the default runtime settings (the runtime-settings study sets server_env).</summary>
    public IEnumerable<JsonObject> Mode(string mode) =>
        runs.Where(r => Text(r, "mode") == mode && r["server_env"] is null);

    /// <summary>Runs of one mode with their server_env ("" for the defaults).</summary>
    public IEnumerable<(string Env, JsonObject Run)> ModeByEnvironment(string mode) =>
        runs.Where(r => Text(r, "mode") == mode).Select(r => (Text(r, "server_env"), r));

    public static string Text(JsonObject run, string key) => run[key]?.ToString() ?? "";

    public static double Number(JsonObject run, string key) =>
        run[key] is { } node ? double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture) : double.NaN;

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The run whose <paramref name="key"/> is the median of the group (the one a chart of "a typical run" shows).</summary>
    public static JsonObject MedianRun(IEnumerable<JsonObject> group, string key)
    {
        var sorted = group.OrderBy(r => Number(r, key)).ToArray();
        return sorted[(sorted.Length - 1) / 2];
    }
}
