using FastChat.Protocol.Frames;

namespace FastChat.Server.Prekeys;

/// <summary>The answer to a bundle fetch: a status and, when found, one bundle per device, with the signed device list if published.</summary>
internal sealed record PrekeyFetchResult(PrekeyFetchStatus Status, IReadOnlyList<DevicePrekeyBundle> Bundles, SignedDeviceList? DeviceList = null)
{
    public static readonly PrekeyFetchResult Unavailable = new(PrekeyFetchStatus.Unavailable, []);
}

/// <summary>Where bundles are taken: at the target's home, which is this node or another one of the mesh.</summary>
internal interface IPrekeyDirectory
{
    Task<PrekeyFetchResult> FetchAsync(string target, CancellationToken cancellationToken);
}
