using System.IO.Hashing;

namespace FastChat.Server.Cluster.Partitioning;

/// <summary>
/// Which partition a user belongs to: XXH3-64 (seed 0) of the UTF-8 user name, modulo the
/// partition count. The function is fixed forever for a cluster (it decides where data lives);
/// any language's xxHash library reproduces it (protocol-spec/09-cluster.md). A device address
/// (<c>user/n</c>) hashes its account part, so an account's devices share its partition.
/// </summary>
public static class UserPartitioner
{
    public const int DefaultPartitions = 4096;

    public static int PartitionOf(ReadOnlySpan<byte> user, int partitions) =>
        (int)(XxHash3.HashToUInt64(Protocol.Wire.DeviceAddress.Account(user)) % (uint)partitions);

    public static int PartitionOf(string user, int partitions)
    {
        Span<byte> bytes = stackalloc byte[Protocol.Wire.DeviceAddress.MaxLength * 4];
        int n = System.Text.Encoding.UTF8.GetBytes(user, bytes);
        return PartitionOf(bytes[..n], partitions);
    }
}
