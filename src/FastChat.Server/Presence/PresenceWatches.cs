using System.Text;
using FastChat.Protocol.Frames;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Presence;

/// <summary>
/// What the devices connected here watch (protocol-spec/15-presence.md), on the watcher's side: a
/// connection's PRESENCE_SUBSCRIBE replaces its set, and the difference goes to the watched users'
/// homes as watch and unwatch entries; a closing connection unwatches all. Every half lifetime the
/// live watches are renewed, so a home that restarted or took over a partition learns them again
/// and one that lost a watcher (its node died) forgets it.
/// </summary>
internal sealed class PresenceWatches : IDisposable
{
    private readonly Dictionary<string, Entry> _byAddress = new(StringComparer.Ordinal);
    private readonly PresenceRoute _route;
    private readonly ILogger _logger;
    private readonly ITimer _renewal;

    private sealed record Entry(object Owner, string[] Users);

    private static readonly byte[] Fresh = [0];
    private static readonly byte[] Renewal = [1];

    public PresenceWatches(PresenceOptions options, TimeProvider time, PresenceRoute route, ILogger<PresenceWatches> logger)
    {
        _route = route;
        _logger = logger;
        _renewal = time.CreateTimer(_ => Renew(), null, options.SubscriptionLifetime / 2, options.SubscriptionLifetime / 2);
    }

    /// <summary>Connections watching someone now.</summary>
    public int Count { get { lock (_byAddress) return _byAddress.Count; } }

    /// <summary>
    /// <paramref name="owner"/> (the connection of device <paramref name="address"/>) watches
    /// <paramref name="users"/> from now on; the users new to its set are told to send their state.
    /// </summary>
    public void Replace(object owner, string address, IReadOnlyList<string> users)
    {
        var next = users.Distinct(StringComparer.Ordinal).ToArray();
        string[] previous;
        lock (_byAddress)
        {
            previous = _byAddress.TryGetValue(address, out var entry) && ReferenceEquals(entry.Owner, owner) ? entry.Users : [];
            if (next.Length == 0) _byAddress.Remove(address);
            else _byAddress[address] = new Entry(owner, next);
        }
        foreach (var user in previous.Except(next, StringComparer.Ordinal)) Send(user, DeliveryKind.PresenceUnsubscribe, address, []);
        foreach (var user in next.Except(previous, StringComparer.Ordinal)) Send(user, DeliveryKind.PresenceSubscribe, address, Fresh);
    }

    /// <summary>The connection closed: its watches end (unless a newer connection of the device took them over).</summary>
    public void Remove(object owner, string address)
    {
        string[] users;
        lock (_byAddress)
        {
            if (!_byAddress.TryGetValue(address, out var entry) || !ReferenceEquals(entry.Owner, owner)) return;
            _byAddress.Remove(address);
            users = entry.Users;
        }
        foreach (var user in users) Send(user, DeliveryKind.PresenceUnsubscribe, address, []);
    }

    private void Renew()
    {
        try
        {
            KeyValuePair<string, Entry>[] all;
            lock (_byAddress) all = [.. _byAddress];
            foreach (var (address, entry) in all)
                foreach (var user in entry.Users) Send(user, DeliveryKind.PresenceSubscribe, address, Renewal);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Renewing presence watches failed; it is tried again at the next renewal.");
        }
    }

    private void Send(string user, DeliveryKind kind, string address, ReadOnlySpan<byte> payload)
    {
        Span<byte> to = stackalloc byte[Protocol.Wire.UserName.MaxLength];
        Span<byte> from = stackalloc byte[Protocol.Wire.DeviceAddress.MaxLength];
        _route(to[..Encoding.ASCII.GetBytes(user, to)], kind, from[..Encoding.ASCII.GetBytes(address, from)], address, payload);
    }

    public void Dispose() => _renewal.Dispose();
}
