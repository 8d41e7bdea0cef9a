using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastChat.Server.Cluster.Membership;

/// <summary>
/// What a node publishes about itself under its etcd lease (JSON, readable with etcdctl):
/// where clients and peers reach it, the static Noise key peers must present, and whether it is
/// leaving (handing its partitions to the others before it stops).
/// </summary>
public sealed record MemberRecord(
    [property: JsonPropertyName("id")] string NodeId,
    [property: JsonPropertyName("client")] string ClientEndpoint,
    [property: JsonPropertyName("peer")] string PeerEndpoint,
    [property: JsonPropertyName("key")] string PublicKeyHex,
    [property: JsonPropertyName("users")] int ConnectedUsers,
    [property: JsonPropertyName("leaving")] bool Leaving = false)
{
    public byte[] PublicKey() => Convert.FromHexString(PublicKeyHex);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ClusterJson.Default.MemberRecord);

    public static MemberRecord? FromJson(ReadOnlySpan<byte> json)
    {
        try { return JsonSerializer.Deserialize(json, ClusterJson.Default.MemberRecord); }
        catch (JsonException) { return null; }
    }
}
