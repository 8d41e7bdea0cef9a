using System.Text;
using System.Text.Json.Nodes;
using FastChat.Signal.Curve;
using FastChat.Signal.Fingerprints;

namespace FastChat.Tests.E2E;

/// <summary>protocol-spec/vectors/e2e.json (made with libsignal) against our implementation, offline.</summary>
public class E2eVectorTests
{
    private static readonly JsonNode Vectors = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "SpecVectors", "e2e.json")))!;

    private static byte[] Hex(JsonNode? node) => Convert.FromHexString(node!.GetValue<string>());

    [Fact]
    public void Keys_signature_and_safety_number_match_the_vectors()
    {
        var alice = new SignalKeyPair(Hex(Vectors["keys"]!["alice"]!["private_key"]));
        var bob = new SignalKeyPair(Hex(Vectors["keys"]!["bob"]!["private_key"]));
        Assert.Equal(Hex(Vectors["keys"]!["alice"]!["public_key"]), alice.PublicKey.ToArray());
        Assert.Equal(Hex(Vectors["keys"]!["bob"]!["public_key"]), bob.PublicKey.ToArray());

        var x = Vectors["xeddsa"]!;
        var signature = Hex(x["signature"]);
        Assert.True(XEdDsa.Verify(SignalPublicKey.Parse(Hex(x["public_key"])), Hex(x["message"]), signature));
        Assert.Equal(signature, alice.Sign(Hex(x["message"]))); // the same deterministic nonce as libsignal-node
        signature[0] ^= 1;
        Assert.False(XEdDsa.Verify(alice.PublicKey, Hex(x["message"]), signature));

        var s = Vectors["safety_number"]!;
        Assert.Equal(s["displayable"]!.GetValue<string>(), SafetyNumber.Compute(Encoding.ASCII.GetBytes(s["local_id"]!.GetValue<string>()), alice.PublicKey,
            Encoding.ASCII.GetBytes(s["remote_id"]!.GetValue<string>()), bob.PublicKey, s["iterations"]!.GetValue<int>()));
    }
}
