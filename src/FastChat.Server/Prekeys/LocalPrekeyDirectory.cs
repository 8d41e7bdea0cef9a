using FastChat.Protocol.Frames;
using FastChat.Server.Delivery;

namespace FastChat.Server.Prekeys;

/// <summary>
/// Takes bundles from this node's store, for users homed here (a single node is home of all), and
/// tells an owner connected here when a fetch left their one-time prekeys low.
/// </summary>
internal sealed class LocalPrekeyDirectory(PrekeyStore store, LocalDirectory connected) : IPrekeyDirectory
{
    public async Task<PrekeyFetchResult> FetchAsync(string target, CancellationToken cancellationToken)
    {
        var take = await store.TakeBundlesAsync(target).ConfigureAwait(false);
        if (take.LowStockNotices.Count > 0 && connected.Find(System.Text.Encoding.ASCII.GetBytes(target)) is { } owner)
            foreach (var notice in take.LowStockNotices) owner.Notify(ControlFrames.Encode(notice));
        return new PrekeyFetchResult(take.Status, take.Bundles, take.DeviceList);
    }
}
