using System.Text.Json.Nodes;

namespace FastChat.Soak;

/// <summary>A harness mode: how it runs, and how the results of its shards merge.</summary>
internal sealed record SoakMode(Func<ServerUnderTest, SoakOptions, RunSync, Task<JsonObject>> RunAsync, MergeRules Rules);

internal static class SoakModes
{
    public static readonly IReadOnlyDictionary<string, SoakMode> All = new Dictionary<string, SoakMode>
    {
        ["idle"] = new(IdleMode.RunAsync, IdleMode.Rules),
        ["throughput"] = new(ThroughputMode.RunAsync, ThroughputMode.Rules),
        ["handshake"] = new(HandshakeMode.RunAsync, HandshakeMode.Rules),
        ["offline"] = new(OfflineMode.RunAsync, OfflineMode.Rules),
        ["failover"] = new(FailoverMode.RunAsync, FailoverMode.Rules),
        ["history"] = new(HistoryMode.RunAsync, HistoryMode.Rules),
    };
}
