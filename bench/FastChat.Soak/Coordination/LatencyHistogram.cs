using System.Text.Json.Nodes;
using HdrHistogram;

namespace FastChat.Soak;

/// <summary>
/// A latency histogram as [[value, count], …] (one pair per non-empty bucket), so a coordinator
/// can add up its shards' distributions and take exact percentiles of the whole run.
/// </summary>
internal static class LatencyHistogram
{
    public const long HighestMicroseconds = 60_000_000;

    public static LongHistogram Create() => new(HighestMicroseconds, 3);

    public static JsonArray ToJson(HistogramBase histogram) =>
        new(histogram.RecordedValues().Select(v => (JsonNode)new JsonArray(v.ValueIteratedTo, v.CountAddedInThisIterationStep)).ToArray());

    public static LongHistogram FromJson(JsonArray buckets)
    {
        var histogram = Create();
        foreach (var bucket in buckets)
            histogram.RecordValueWithCount(Math.Min(bucket![0].Integer(), HighestMicroseconds), bucket[1].Integer());
        return histogram;
    }
}
