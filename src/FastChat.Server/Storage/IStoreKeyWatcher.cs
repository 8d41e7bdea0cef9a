namespace FastChat.Server.Storage;

/// <summary>
/// Told of every key the store writes or deletes, after the write and under the key's stripe
/// lock (so it must be quick and must not write to the store): the seam in-memory caches of
/// stored records hang on, so that no write path (a publish, a hand-off, a replica applying its
/// stream) can leave them stale.
/// </summary>
internal interface IStoreKeyWatcher
{
    void OnKeyWritten(ReadOnlySpan<byte> key);
}
