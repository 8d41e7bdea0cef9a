using FastChat.Protocol.Frames;
using FastChat.Signal.Curve;
using FastChat.Signal.Sessions;
using FastChat.Signal.Stores;

namespace FastChat.Client.Encryption;

/// <summary>
/// Between the Signal store and the prekey directory: makes new prekeys (the private halves go to
/// the store, the public halves to an upload) and reads fetched bundles as X3DH inputs.
/// </summary>
public static class PrekeyMaterial
{
    /// <summary>A new signed prekey <paramref name="id"/>, signed by the store's identity key (XEdDSA over its 33-byte form).</summary>
    public static SignedPrekey NewSignedPrekey(ISignalProtocolStore store, uint id)
    {
        var pair = SignalKeyPair.Generate();
        store.StoreSignedPreKey(id, pair);
        return new SignedPrekey(id, pair.PublicKey.Serialized.ToArray(), store.IdentityKeyPair.Sign(pair.PublicKey.Serialized));
    }

    /// <summary><paramref name="count"/> new one-time prekeys with ids from <paramref name="firstId"/>.</summary>
    public static IReadOnlyList<OneTimePrekey> NewOneTimePrekeys(ISignalProtocolStore store, uint firstId, int count)
    {
        var keys = new OneTimePrekey[count];
        for (int i = 0; i < count; i++)
        {
            var pair = SignalKeyPair.Generate();
            store.StorePreKey(firstId + (uint)i, pair);
            keys[i] = new OneTimePrekey(firstId + (uint)i, pair.PublicKey.Serialized.ToArray());
        }
        return keys;
    }

    /// <summary>The identity key to publish beside them.</summary>
    public static byte[] IdentityKey(ISignalProtocolStore store) => store.IdentityKeyPair.PublicKey.Serialized.ToArray();

    /// <summary>A fetched device bundle as <see cref="SessionBuilder"/> takes it (which verifies the signature).</summary>
    public static PreKeyBundle ToSignal(DevicePrekeyBundle bundle)
    {
        var oneTime = bundle.OneTimePrekey;
        return new PreKeyBundle(bundle.RegistrationId, Parse(bundle.IdentityKey), bundle.SignedPrekey.Id, Parse(bundle.SignedPrekey.PublicKey),
            bundle.SignedPrekey.Signature, oneTime?.Id, oneTime is null ? null : Parse(oneTime.PublicKey));
    }

    private static SignalPublicKey Parse(byte[] key) =>
        SignalPublicKey.TryParse(key, out var parsed) ? parsed : throw new FormatException("not a Curve25519 public key");
}
