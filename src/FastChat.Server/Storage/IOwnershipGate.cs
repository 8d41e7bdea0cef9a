namespace FastChat.Server.Storage;

/// <summary>
/// Whether this node may change a user's data now. Asked under the lock that serializes the
/// user's writes (queue stripe, account creation), so once a partition starts moving and those
/// locks have been cycled once, nothing more is written to it here.
/// </summary>
internal interface IOwnershipGate
{
    bool MayWrite(ReadOnlySpan<byte> user);
}

/// <summary>A fleet of one owns everyone.</summary>
internal sealed class OwnEveryone : IOwnershipGate
{
    public bool MayWrite(ReadOnlySpan<byte> user) => true;
}
