using System.Text;
using FastChat.Server.Storage;

namespace FastChat.Server.Accounts;

internal enum CreateAccountResult { Created, NameTaken, NotOwned }

/// <summary>
/// Accounts in FASTER beside the queues: <c>A|user</c> → version u8 | static public key (32) |
/// created unix ms (i64). A user is their device's static Noise key; there are no passwords.
/// </summary>
internal sealed class AccountStore(FasterStore store, GroupCommit commit, IOwnershipGate gate)
{
    private const int ValueLength = 1 + 32 + 8;
    // Striped by name: one global lock serialized every registration behind whichever thread
    // was doing FASTER checkpoint work inside it, and spinning on it burned the CPU.
    private readonly object[] _createLocks = Enumerable.Range(0, 256).Select(_ => new object()).ToArray();

    public bool Exists(ReadOnlySpan<byte> user)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Span<byte> value = stackalloc byte[ValueLength];
        return store.Read(key[..StoreKeys.AccountKey(key, user)], value) == ValueLength;
    }

    /// <summary>Copies the user's registered key into <paramref name="publicKey"/>; false if no account.</summary>
    public bool TryGetKey(string user, Span<byte> publicKey) => TryGetKey(Encoding.ASCII.GetBytes(user), publicKey);

    public bool TryGetKey(ReadOnlySpan<byte> user, Span<byte> publicKey)
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Span<byte> value = stackalloc byte[ValueLength];
        int keyLength = StoreKeys.AccountKey(key, user);
        if (store.Read(key[..keyLength], value) != ValueLength) return false;
        value.Slice(1, 32).CopyTo(publicKey);
        return true;
    }

    /// <summary>Creates the account and returns once it is durable.</summary>
    public async Task<CreateAccountResult> CreateAsync(string user, byte[] publicKey, long createdMs)
    {
        var name = Encoding.ASCII.GetBytes(user);
        lock (_createLocks[(uint)user.GetHashCode() % (uint)_createLocks.Length])
        {
            if (!gate.MayWrite(name)) return CreateAccountResult.NotOwned;
            if (Exists(name)) return CreateAccountResult.NameTaken;
            Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
            Span<byte> value = stackalloc byte[ValueLength];
            value[0] = 1;
            publicKey.CopyTo(value[1..]);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(value[33..], createdMs);
            store.Upsert(key[..StoreKeys.AccountKey(key, name)], value);
        }
        await commit.WaitForCommitAsync().ConfigureAwait(false);
        return CreateAccountResult.Created;
    }

    /// <summary>Returns once every account creation that started before the call has finished (see <see cref="IOwnershipGate"/>).</summary>
    public void Quiesce()
    {
        foreach (var gate in _createLocks)
            lock (gate) { }
    }
}
