using FastChat.Protocol.Frames;
using FastChat.Server.Delivery;

namespace FastChat.Server.Prekeys;

/// <summary>
/// Takes bundles from this node's store, for users homed here (a single node is home of all), and
/// tells the owning device, if connected here, when a fetch left their one-time prekeys low.
/// </summary>
internal sealed class LocalPrekeyDirectory(PrekeyStore store, LocalDirectory connected) : IPrekeyDirectory
{
    public async Task<PrekeyFetchResult> FetchAsync(string target, CancellationToken cancellationToken)
    {
        var take = await store.TakeBundlesAsync(target).ConfigureAwait(false);
        foreach (var (device, notice) in take.LowStockNotices)
            if (connected.Find(System.Text.Encoding.ASCII.GetBytes(Protocol.Wire.DeviceAddress.Format(target, device))) is { } owner)
                owner.Notify(ControlFrames.Encode(notice));
        return new PrekeyFetchResult(take.Status, take.Bundles, take.DeviceList);
    }
}
