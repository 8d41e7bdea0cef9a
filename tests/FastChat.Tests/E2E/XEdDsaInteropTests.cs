using System.Text.Json.Nodes;
using FastChat.Signal.Curve;
using FastChat.Tests.Infrastructure;
using static FastChat.Tests.Infrastructure.LibsignalParty;

namespace FastChat.Tests.E2E;

/// <summary>Signatures by Curve25519 identity keys, checked by the other side's library both ways.</summary>
public class XEdDsaInteropTests
{
    [Fact]
    public async Task Libsignal_accepts_our_signatures_and_we_accept_its_and_a_changed_byte_fails_both()
    {
        await using var party = await LibsignalParty.StartAsync();
        for (int i = 0; i < 16; i++) // several keys: both sign bits of A occur
        {
            var ours = SignalKeyPair.Generate();
            var message = ours.PublicKey.ToArray(); // what a signed prekey's signature covers: a 33-byte key
            var signature = ours.Sign(message);
            Assert.True(XEdDsa.Verify(ours.PublicKey, message, signature));
            var verdict = await party.CallAsync(new JsonObject { ["op"] = "verify", ["key"] = B64(ours.PublicKey.Serialized), ["message"] = B64(message), ["signature"] = B64(signature) });
            Assert.True(verdict["valid"]!.GetValue<bool>());
            signature[5] ^= 1;
            Assert.False(XEdDsa.Verify(ours.PublicKey, message, signature));
            verdict = await party.CallAsync(new JsonObject { ["op"] = "verify", ["key"] = B64(ours.PublicKey.Serialized), ["message"] = B64(message), ["signature"] = B64(signature) });
            Assert.False(verdict["valid"]!.GetValue<bool>());
        }

        var bundle = await party.CallAsync(new JsonObject { ["op"] = "bundle" });
        var identity = SignalPublicKey.Parse(Bytes(bundle["identityKey"]));
        var signedPreKey = Bytes(bundle["signedPreKey"]!["publicKey"]);
        var theirs = Bytes(bundle["signedPreKey"]!["signature"]);
        Assert.True(XEdDsa.Verify(identity, signedPreKey, theirs));
        signedPreKey[10] ^= 0x80;
        Assert.False(XEdDsa.Verify(identity, signedPreKey, theirs));
        for (int i = 0; i < 8; i++)
        {
            var message = new byte[1 + i * 37];
            Random.Shared.NextBytes(message);
            var signed = await party.CallAsync(new JsonObject { ["op"] = "sign", ["message"] = B64(message) });
            Assert.True(XEdDsa.Verify(identity, message, Bytes(signed["signature"])));
        }
    }
}
