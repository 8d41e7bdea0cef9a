namespace FastChat.Server.Storage;

/// <summary>
/// Sees every store write in the order the key's stripe lock gives it (called under that lock, so
/// it must be quick and must not write to the store): the seam replication streams hang on.
/// </summary>
internal interface IStoreWriteObserver
{
    /// <param name="value">Empty for a delete.</param>
    void OnWrite(WalOp op, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
}
