using System.Collections.Concurrent;
namespace FastChat.Server.Delivery;

/// <summary>Users connected to this server, looked up by their UTF-8 name without allocating.</summary>
internal sealed class LocalDirectory
{
    private readonly ConcurrentDictionary<string, IDeliveryTarget> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IDeliveryTarget>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public LocalDirectory() => _lookup = _byName.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _byName.Count;

    public IDeliveryTarget? Find(ReadOnlySpan<byte> user)
    {
        Span<char> name = stackalloc char[user.Length];
        for (int i = 0; i < user.Length; i++) name[i] = (char)user[i]; // names are ASCII (UserName.IsValid)
        return _lookup.TryGetValue(name, out var target) ? target : null;
    }

    /// <summary>Everyone connected now (a copy; for rare sweeps such as a hand-off).</summary>
    public IDeliveryTarget[] Snapshot() => _byName.Values.ToArray();

    public void Set(IDeliveryTarget target) => _byName[target.Address] = target;

    public bool Remove(IDeliveryTarget target) =>
        _byName.TryRemove(new KeyValuePair<string, IDeliveryTarget>(target.Address, target));
}
