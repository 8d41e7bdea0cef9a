using System.Text;
using FastChat.Client.Encryption;
using FastChat.Protocol.Frames;
using FastChat.Signal;
using FastChat.Signal.Messages;
using FastChat.Signal.Sessions;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.E2E;

/// <summary>Sessions kept at rest: a record read back from its bytes carries on exactly where it was.</summary>
public class SessionRecordStorageTests
{
    private static void Reload(SignalDevice device, string address)
    {
        var bytes = device.Store.LoadSession(address)!.Serialize();
        var restored = SessionRecord.Deserialize(bytes);
        Assert.Equal(bytes, restored.Serialize()); // stable: nothing lost or invented on the way
        device.Store.StoreSession(address, restored);
    }

    private static string Decrypt(SignalDevice device, string from, CiphertextMessage message) =>
        Encoding.UTF8.GetString(new SessionCipher(device.Store, from).Decrypt(message));

    private static CiphertextMessage Encrypt(SignalDevice device, string to, string text) =>
        new SessionCipher(device.Store, to).Encrypt(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void A_reloaded_session_keeps_its_pending_prekey_skipped_keys_and_ratchet()
    {
        var alice = new SignalDevice();
        var bob = new SignalDevice();
        var bundle = new DevicePrekeyBundle(1, alice.Store.RegistrationId, alice.IdentityKey, alice.NewSignedPrekey(1), alice.NewOneTimePrekeys(1)[0]);
        new SessionBuilder(bob.Store, "alice").Process(PrekeyMaterial.ToSignal(bundle));

        // Until alice answers, bob's messages repeat the prekey header, also after a reload.
        var first = Encrypt(bob, "alice", "one");
        Reload(bob, "alice");
        var second = Encrypt(bob, "alice", "two");
        Assert.Equal((CiphertextType.PreKey, CiphertextType.PreKey), (first.Type, second.Type));
        Assert.Equal("one", Decrypt(alice, "bob", first));
        Reload(alice, "bob");
        Assert.Equal("two", Decrypt(alice, "bob", second));

        // Out of order across a reload: the skipped message keys are kept.
        var replies = Enumerable.Range(1, 3).Select(i => Encrypt(alice, "bob", $"reply {i}")).ToArray();
        Assert.Equal("reply 3", Decrypt(bob, "alice", replies[2]));
        Reload(bob, "alice");
        Assert.Equal("reply 1", Decrypt(bob, "alice", replies[0]));
        Assert.Equal("reply 2", Decrypt(bob, "alice", replies[1]));
        Assert.Throws<SignalProtocolException>(() => Decrypt(bob, "alice", replies[1])); // used once, also after the reload

        // Ratchet steps after reloads on both sides.
        for (int round = 0; round < 3; round++)
        {
            Reload(alice, "bob");
            Reload(bob, "alice");
            var toAlice = Encrypt(bob, "alice", $"bob {round}");
            Assert.Equal(CiphertextType.Whisper, toAlice.Type);
            Assert.Equal($"bob {round}", Decrypt(alice, "bob", toAlice));
            Assert.Equal($"alice {round}", Decrypt(bob, "alice", Encrypt(alice, "bob", $"alice {round}")));
        }
    }

    [Fact]
    public void Bytes_that_are_not_a_record_are_refused()
    {
        Assert.Throws<SignalProtocolException>(() => SessionRecord.Deserialize([0xff, 0xff, 0xff]));
        Assert.Throws<SignalProtocolException>(() => SessionRecord.Deserialize([0x08, 0x02])); // version 2
    }
}
