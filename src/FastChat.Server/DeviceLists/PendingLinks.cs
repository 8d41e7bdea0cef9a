using FastChat.Protocol.Frames;

namespace FastChat.Server.DeviceLists;

/// <summary>A connection of a device waiting to be linked to an account.</summary>
internal interface ILinkWaiter
{
    string UserName { get; }
    LinkRequest Request { get; }

    /// <summary>The primary published a list naming this device: say so and close (it signs in again).</summary>
    void Linked(byte deviceId, ulong generation);
}

/// <summary>
/// The devices waiting to be linked, per account, on the account's home (where the waiting
/// device's login lands, like every login). In memory only: a request lives as long as its
/// connection, at most <see cref="DeviceOptions.LinkTimeout"/> (the sweeper closes it). Bounded
/// per account, so strangers who try a user's name cannot crowd the primary's list.
/// </summary>
internal sealed class PendingLinks(DeviceOptions options)
{
    private readonly Dictionary<string, List<ILinkWaiter>> _byUser = new(StringComparer.Ordinal);

    public bool TryAdd(ILinkWaiter waiter)
    {
        lock (_byUser)
        {
            if (!_byUser.TryGetValue(waiter.UserName, out var waiting)) _byUser[waiter.UserName] = waiting = [];
            if (waiting.Count >= options.MaxPendingLinks) return false;
            waiting.Add(waiter);
            return true;
        }
    }

    public void Remove(ILinkWaiter waiter)
    {
        lock (_byUser)
        {
            if (!_byUser.TryGetValue(waiter.UserName, out var waiting)) return;
            waiting.Remove(waiter);
            if (waiting.Count == 0) _byUser.Remove(waiter.UserName);
        }
    }

    /// <summary>Oldest first.</summary>
    public IReadOnlyList<LinkRequest> For(string user)
    {
        lock (_byUser) return _byUser.TryGetValue(user, out var waiting) ? waiting.Select(w => w.Request).ToArray() : [];
    }

    /// <summary>A new list is durable: every waiting device it names is told its id.</summary>
    public void Published(DeviceList list)
    {
        List<(ILinkWaiter Waiter, byte Device)> linked = [];
        lock (_byUser)
        {
            if (!_byUser.TryGetValue(list.User, out var waiting)) return;
            foreach (var waiter in waiting)
                if (list.FindByNoiseKey(waiter.Request.NoiseKey) is { } entry && entry.IdentityKey.AsSpan().SequenceEqual(waiter.Request.IdentityKey))
                    linked.Add((waiter, entry.DeviceId));
        }
        foreach (var (waiter, device) in linked)
        {
            Remove(waiter);
            waiter.Linked(device, list.Generation);
        }
    }
}
