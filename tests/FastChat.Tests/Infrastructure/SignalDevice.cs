using FastChat.Client.Encryption;
using FastChat.Protocol.Frames;
using FastChat.Signal.Curve;
using FastChat.Signal.Stores;

namespace FastChat.Tests.Infrastructure;

/// <summary>A test device's Signal keys: a fresh identity and store, and prekey uploads made from them.</summary>
public sealed class SignalDevice
{
    private uint _nextPrekeyId = 1;

    public InMemorySignalProtocolStore Store { get; } = new(SignalKeyPair.Generate(), (uint)Random.Shared.Next(1, 16380));

    public byte[] IdentityKey => PrekeyMaterial.IdentityKey(Store);

    public SignedPrekey NewSignedPrekey(uint id) => PrekeyMaterial.NewSignedPrekey(Store, id);

    /// <summary><paramref name="count"/> one-time prekeys with ids following the last ones made.</summary>
    public IReadOnlyList<OneTimePrekey> NewOneTimePrekeys(int count)
    {
        var keys = PrekeyMaterial.NewOneTimePrekeys(Store, _nextPrekeyId, count);
        _nextPrekeyId += (uint)count;
        return keys;
    }

    /// <summary>A first upload: signed prekey 1 and <paramref name="oneTime"/> one-time prekeys.</summary>
    public Task<PrekeyStatusBody> PublishAsync(Client.FastChatClient client, int oneTime) =>
        client.UploadPrekeysAsync(Store.RegistrationId, IdentityKey, NewSignedPrekey(1), NewOneTimePrekeys(oneTime));
}
