using System.Globalization;
using System.Text.Json.Nodes;

namespace FastChat.Soak;

/// <summary>
/// Numbers out of result lines, whether built in this process (typed values) or parsed from a
/// shard's output (JSON elements): read through their JSON text, which both forms share.
/// </summary>
internal static class JsonNumbers
{
    public static bool IsNumber(this JsonNode? node) =>
        node is JsonValue && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    public static bool IsIntegral(this JsonNode? node) =>
        node is JsonValue && long.TryParse(node.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _);

    public static double Number(this JsonNode? node) =>
        double.Parse(node?.ToJsonString() ?? throw new KeyNotFoundException("missing number"), NumberStyles.Float, CultureInfo.InvariantCulture);

    public static long Integer(this JsonNode? node) => (long)node.Number();
}
