using System.Security.Cryptography;
using System.Text;
using FastChat.Client.Encryption;
using FastChat.Client.Storage;
using FastChat.Signal.Sessions;
using FastChat.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace FastChat.Tests.E2E;

/// <summary>The SDK's device store in a real SQLite file: state that survives a restart, and secrets that are not readable at rest.</summary>
public class DeviceStoreTests
{
    [Fact]
    public void A_conversation_carries_on_after_both_devices_reopen_their_stores()
    {
        using var folder = new TempDirectory();
        string alicePath = Path.Combine(folder, "alice.db"), bobPath = Path.Combine(folder, "bob.db");
        var aliceKey = StoreProtection.KeyFile(Path.Combine(folder, "alice.key"));
        var bobKey = StoreProtection.KeyFile(Path.Combine(folder, "bob.key"));
        byte[] first, second;
        using (var alice = DeviceStore.Create(alicePath, "alice", aliceKey))
        using (var bob = DeviceStore.Create(bobPath, "bob", bobKey))
        {
            var signed = PrekeyMaterial.NewSignedPrekey(bob, 1);
            var oneTime = PrekeyMaterial.NewOneTimePrekeys(bob, 1, 1)[0];
            var bundle = new FastChat.Protocol.Frames.DevicePrekeyBundle(1, bob.RegistrationId, PrekeyMaterial.IdentityKey(bob), signed, oneTime);
            new SessionBuilder(alice, "bob").Process(PrekeyMaterial.ToSignal(bundle));
            first = new SessionCipher(alice, "bob").Encrypt("before the restart"u8).Body;
            Assert.Equal("before the restart", Encoding.UTF8.GetString(new SessionCipher(bob, "alice").DecryptPreKeyMessage(first)));
        }
        using (var alice = DeviceStore.Open(alicePath, aliceKey))
        using (var bob = DeviceStore.Open(bobPath, bobKey))
        {
            Assert.Equal(("alice", "bob"), (alice.UserName, bob.UserName));
            Assert.Null(bob.LoadPreKey(1)); // used by the session: removed for good
            // bob answers (a ratchet step) from his reopened store; alice reads it from hers, and the chains go on.
            second = new SessionCipher(bob, "alice").Encrypt("after the restart"u8).Body;
            Assert.Equal("after the restart", Encoding.UTF8.GetString(new SessionCipher(alice, "bob").DecryptMessage(second)));
            var third = new SessionCipher(alice, "bob").Encrypt("and on"u8).Body;
            Assert.Equal("and on", Encoding.UTF8.GetString(new SessionCipher(bob, "alice").DecryptMessage(third)));
            // A replay of the first message is refused: its key was used and not kept.
            Assert.ThrowsAny<Exception>(() => new SessionCipher(bob, "alice").DecryptPreKeyMessage(first));
        }
    }

    [Fact]
    public void Private_keys_and_session_state_are_not_in_the_file_in_the_clear()
    {
        using var folder = new TempDirectory();
        string path = Path.Combine(folder, "me.db");
        byte[] identityPrivate, noisePrivate, signedPrivate, chainKey;
        using (var store = DeviceStore.Create(path, "me", StoreProtection.Passphrase("correct horse battery staple")))
        {
            identityPrivate = store.IdentityKeyPair.PrivateKey.ToArray();
            noisePrivate = store.NoisePrivateKey;
            PrekeyMaterial.NewSignedPrekey(store, 1);
            signedPrivate = store.LoadSignedPreKey(1)!.PrivateKey.ToArray();
            store.AddHistory(new HistoryEntry("bob", true, null, 7, DateTimeOffset.UnixEpoch, "the history is sealed too", true));
            var distribution = FastChat.Signal.Groups.GroupCipher.CreateDistributionMessage(store, "me.1", Guid.NewGuid());
            chainKey = FastChat.Signal.Groups.SenderKeyCodec.DecodeDistribution(distribution).ChainKey.ToByteArray();
        }
        SqliteConnection.ClearAllPools();
        var files = Directory.GetFiles(folder).Select(File.ReadAllBytes).ToArray(); // the database, and its WAL if any
        foreach (var secret in new[] { identityPrivate, noisePrivate, signedPrivate, chainKey, "the history is sealed too"u8.ToArray() })
            Assert.DoesNotContain(files, bytes => bytes.AsSpan().IndexOf(secret) >= 0);
        // The public identity is stored as it is (the search finds what is there).
        using (var store = DeviceStore.Open(path, StoreProtection.Passphrase("correct horse battery staple")))
        {
            var identityPublic = store.IdentityKeyPair.PublicKey.Serialized.ToArray();
            SqliteConnection.ClearAllPools();
            Assert.Contains(Directory.GetFiles(folder).Select(File.ReadAllBytes), bytes => bytes.AsSpan().IndexOf(identityPublic) >= 0);
            Assert.Equal(identityPrivate, store.IdentityKeyPair.PrivateKey.ToArray());
            Assert.Equal("the history is sealed too", Assert.Single(store.History("bob")).Text);
        }
    }

    [Fact]
    public void A_wrong_passphrase_a_missing_key_file_or_a_moved_secret_is_refused_clearly()
    {
        using var folder = new TempDirectory();
        string path = Path.Combine(folder, "me.db");
        using (var store = DeviceStore.Create(path, "me", StoreProtection.Passphrase("right")))
        {
            PrekeyMaterial.NewOneTimePrekeys(store, 1, 2);
        }
        var wrong = Assert.Throws<CryptographicException>(() => DeviceStore.Open(path, StoreProtection.Passphrase("wrong")));
        Assert.Contains("wrong passphrase", wrong.Message);
        Assert.Throws<CryptographicException>(() => DeviceStore.Open(path, StoreProtection.KeyFile(Path.Combine(folder, "none.key"))));

        // Someone with the file swaps two sealed prekeys: each is bound to its row and no longer opens.
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var swap = db.CreateCommand();
            swap.CommandText = "UPDATE prekeys SET sealed = (SELECT sealed FROM prekeys WHERE id = 2) WHERE id = 1";
            Assert.Equal(1, swap.ExecuteNonQuery());
        }
        using var reopened = DeviceStore.Open(path, StoreProtection.Passphrase("right"));
        Assert.NotNull(reopened.LoadPreKey(2));
        Assert.Throws<CryptographicException>(() => reopened.LoadPreKey(1));
        Assert.Throws<IOException>(() => DeviceStore.Create(path, "me", StoreProtection.Passphrase("right")));
    }
}
