using System.Text;
using System.Text.Json.Nodes;
using FastChat.Signal;
using FastChat.Signal.Curve;
using FastChat.Signal.Messages;
using FastChat.Signal.Sessions;
using FastChat.Signal.Stores;
using FastChat.Tests.Infrastructure;
using static FastChat.Tests.Infrastructure.LibsignalParty;

namespace FastChat.Tests.E2E;

/// <summary>
/// Our Signal Protocol against libsignal (libsignal-node 6.0.0, the v3 format WhatsApp's clients
/// speak) as the other party: sessions started on either side, messages both ways, out of order,
/// across ratchet steps, a lost prekey message, a redelivery, a forged message.
/// </summary>
public class LibsignalSessionInteropTests
{
    private const string Them = "libsignal-user";
    private const string Us = "dotnet-user";

    private sealed class Device
    {
        public InMemorySignalProtocolStore Store { get; } = new(SignalKeyPair.Generate(), (uint)Random.Shared.Next(1, 16380));

        public JsonObject Bundle(uint preKeyId)
        {
            var signed = SignalKeyPair.Generate();
            var oneTime = SignalKeyPair.Generate();
            Store.StoreSignedPreKey(7, signed);
            Store.StorePreKey(preKeyId, oneTime);
            return new JsonObject
            {
                ["identityKey"] = B64(Store.IdentityKeyPair.PublicKey.Serialized),
                ["registrationId"] = Store.RegistrationId,
                ["signedPreKey"] = new JsonObject { ["keyId"] = 7, ["publicKey"] = B64(signed.PublicKey.Serialized), ["signature"] = B64(Store.IdentityKeyPair.Sign(signed.PublicKey.Serialized)) },
                ["preKey"] = new JsonObject { ["keyId"] = preKeyId, ["publicKey"] = B64(oneTime.PublicKey.Serialized) },
            };
        }

        public SessionCipher Cipher => new(Store, Them);
    }

    private static PreKeyBundle ParseBundle(JsonObject b) => new(
        b["registrationId"]!.GetValue<uint>(),
        SignalPublicKey.Parse(Bytes(b["identityKey"])),
        b["signedPreKey"]!["keyId"]!.GetValue<uint>(),
        SignalPublicKey.Parse(Bytes(b["signedPreKey"]!["publicKey"])),
        Bytes(b["signedPreKey"]!["signature"]),
        b["preKey"]!["keyId"]!.GetValue<uint>(),
        SignalPublicKey.Parse(Bytes(b["preKey"]!["publicKey"])));

    private static async Task<CiphertextMessage> TheyEncryptAsync(LibsignalParty party, string text)
    {
        var answer = await party.CallAsync(new JsonObject { ["op"] = "encrypt", ["peer"] = Us, ["plaintext"] = B64(Encoding.UTF8.GetBytes(text)) });
        return new CiphertextMessage((CiphertextType)answer["type"]!.GetValue<int>(), Bytes(answer["body"]));
    }

    private static async Task<string> TheyDecryptAsync(LibsignalParty party, CiphertextMessage message)
    {
        var answer = await party.CallAsync(new JsonObject { ["op"] = "decrypt", ["peer"] = Us, ["type"] = (int)message.Type, ["body"] = B64(message.Body) });
        return Encoding.UTF8.GetString(Bytes(answer["plaintext"]));
    }

    private static string Decrypt(Device device, CiphertextMessage message) => Encoding.UTF8.GetString(device.Cipher.Decrypt(message));
    private static CiphertextMessage Encrypt(Device device, string text) => device.Cipher.Encrypt(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task A_session_we_start_from_libsignals_bundle_carries_messages_both_ways_out_of_order_and_across_ratchet_steps()
    {
        await using var party = await LibsignalParty.StartAsync();
        var us = new Device();
        new SessionBuilder(us.Store, Them).Process(ParseBundle(await party.CallAsync(new JsonObject { ["op"] = "bundle" })));

        // The first prekey message is lost; the second arrives first; the first comes late.
        var lost = Encrypt(us, "hello 1");
        var second = Encrypt(us, "hello 2");
        Assert.Equal(CiphertextType.PreKey, lost.Type);
        Assert.Equal(CiphertextType.PreKey, second.Type);
        Assert.Equal("hello 2", await TheyDecryptAsync(party, second));
        Assert.Equal("hello 1", await TheyDecryptAsync(party, lost));

        for (int round = 0; round < 4; round++) // each change of direction is a ratchet step
        {
            var replies = new List<CiphertextMessage>();
            for (int i = 0; i < 3; i++) replies.Add(await TheyEncryptAsync(party, $"reply {round}.{i}"));
            Assert.All(replies, r => Assert.Equal(CiphertextType.Whisper, r.Type));
            Assert.Equal($"reply {round}.2", Decrypt(us, replies[2]));
            Assert.Equal($"reply {round}.0", Decrypt(us, replies[0]));
            Assert.Equal($"reply {round}.1", Decrypt(us, replies[1]));
            var duplicate = Assert.Throws<SignalProtocolException>(() => Decrypt(us, replies[1]));
            Assert.Equal(SignalError.DuplicateMessage, duplicate.Kind);

            var ours = Encrypt(us, $"ours {round}");
            Assert.Equal(CiphertextType.Whisper, ours.Type); // they answered: no more prekey header
            Assert.Equal($"ours {round}", await TheyDecryptAsync(party, ours));
        }

        // A message from before our last ratchet step, delivered late, still decrypts (its key was kept).
        var early = await TheyEncryptAsync(party, "early");
        var ourStep = Encrypt(us, "step");
        Assert.Equal("step", await TheyDecryptAsync(party, ourStep));
        var later = await TheyEncryptAsync(party, "later");
        Assert.Equal("later", Decrypt(us, later));
        Assert.Equal("early", Decrypt(us, early));
    }

    [Fact]
    public async Task A_session_libsignal_starts_from_our_bundle_decrypts_here_and_our_replies_decrypt_there()
    {
        await using var party = await LibsignalParty.StartAsync();
        var us = new Device();
        await party.CallAsync(new JsonObject { ["op"] = "start", ["peer"] = Us, ["bundle"] = us.Bundle(preKeyId: 42) });

        var first = await TheyEncryptAsync(party, "hi from libsignal");
        var second = await TheyEncryptAsync(party, "and again");
        Assert.Equal(CiphertextType.PreKey, first.Type);
        Assert.Equal("and again", Decrypt(us, second)); // out of order: the second prekey message first
        Assert.Null(us.Store.LoadPreKey(42)); // a one-time prekey is used once
        Assert.Equal("hi from libsignal", Decrypt(us, first)); // the same session: the prekey is not needed again

        for (int round = 0; round < 3; round++)
        {
            Assert.Equal($"ours {round}", await TheyDecryptAsync(party, Encrypt(us, $"ours {round}")));
            Assert.Equal($"theirs {round}", Decrypt(us, await TheyEncryptAsync(party, $"theirs {round}")));
        }

        // A forged message: one flipped ciphertext bit fails the MAC and changes nothing.
        var genuine = await TheyEncryptAsync(party, "genuine");
        var forged = (byte[])genuine.Body.Clone();
        forged[^12] ^= 1;
        var refused = Assert.Throws<SignalProtocolException>(() => Decrypt(us, genuine with { Body = forged }));
        Assert.Equal(SignalError.InvalidMessage, refused.Kind);
        Assert.Equal("genuine", Decrypt(us, genuine));
    }

    [Fact]
    public async Task A_bundle_whose_signed_prekey_is_not_signed_by_its_identity_is_refused()
    {
        await using var party = await LibsignalParty.StartAsync();
        var bundle = ParseBundle(await party.CallAsync(new JsonObject { ["op"] = "bundle" }));
        var forged = bundle with { SignedPreKey = SignalKeyPair.Generate().PublicKey };
        var error = Assert.Throws<SignalProtocolException>(() => new SessionBuilder(new Device().Store, Them).Process(forged));
        Assert.Equal(SignalError.InvalidSignature, error.Kind);
    }
}
