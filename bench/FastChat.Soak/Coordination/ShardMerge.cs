using System.Text.Json.Nodes;

namespace FastChat.Soak;

/// <summary>
/// How a mode's result lines from several shards combine: <see cref="Shared"/> fields come from
/// the coordinator's samples (or the command line) and are the same in every part; <see cref="Max"/>
/// fields are wall times; every other number is a count and adds up. <see cref="Derive"/> then
/// recomputes the rates and ratios from the merged fields, with the same code a single run uses.
/// </summary>
internal sealed record MergeRules(string[] Shared, string[] Max, Action<JsonObject> Derive);

internal static class ShardMerge
{
    public const string SeriesKey = "series";

    public static JsonObject Merge(IReadOnlyList<JsonObject> parts, MergeRules rules)
    {
        var merged = new JsonObject();
        foreach (var (key, value) in parts[0])
        {
            if (key == SeriesKey) merged[key] = MergeSeries(parts);
            else if (value is JsonArray) merged[key] = new JsonArray(parts.SelectMany(p => p[key]!.AsArray()).Select(n => n?.DeepClone()).ToArray());
            else if (rules.Shared.Contains(key) || !value.IsNumber()) merged[key] = value?.DeepClone();
            else if (rules.Max.Contains(key)) merged[key] = parts.Max(p => p[key].Number());
            else if (parts.All(p => p[key].IsIntegral())) merged[key] = parts.Sum(p => p[key].Integer());
            else merged[key] = parts.Sum(p => p[key].Number());
        }
        rules.Derive(merged);
        merged["shards"] = parts.Count;
        return merged;
    }

    /// <summary>Per-second series: counts add up; a percentile cannot be merged, so each second shows the worst shard's.</summary>
    private static JsonArray MergeSeries(IReadOnlyList<JsonObject> parts)
    {
        var series = parts.Select(p => p[SeriesKey]!.AsArray()).ToArray();
        var merged = new JsonArray();
        for (int s = 0; s < series.Min(x => x.Count); s++)
        {
            var point = new JsonObject();
            foreach (var (key, _) in series[0][s]!.AsObject())
                point[key] = key == "second" ? series[0][s]![key].Integer()
                    : key.StartsWith('p') ? series.Max(x => x[s]![key].Integer())
                    : series.Sum(x => x[s]![key].Integer());
            merged.Add(point);
        }
        return merged;
    }
}
