using System.Text;
using System.Text.Json.Nodes;
using FastChat.Signal.Curve;
using FastChat.Signal.Fingerprints;
using FastChat.Tests.Infrastructure;
using static FastChat.Tests.Infrastructure.LibsignalParty;

namespace FastChat.Tests.E2E;

/// <summary>Safety numbers equal to libsignal's displayable fingerprint (@signalapp/libsignal-client) for the same keys and names.</summary>
public class SafetyNumberInteropTests
{
    [Fact]
    public async Task Our_safety_number_is_libsignals_and_the_same_from_both_sides_and_a_new_key_changes_it()
    {
        await using var party = await LibsignalParty.StartAsync();
        for (int i = 0; i < 4; i++)
        {
            var alice = SignalKeyPair.Generate().PublicKey;
            var bob = SignalKeyPair.Generate().PublicKey;
            byte[] aliceId = Encoding.ASCII.GetBytes($"alice{i}"), bobId = Encoding.ASCII.GetBytes($"bob-{i * 7}");
            int iterations = i == 0 ? SafetyNumber.DefaultIterations : 1 + i * 100;
            var ours = SafetyNumber.Compute(aliceId, alice, bobId, bob, iterations);
            var theirs = await party.CallAsync(new JsonObject
            {
                ["op"] = "fingerprint", ["iterations"] = iterations,
                ["localId"] = B64(aliceId), ["localKey"] = B64(alice.Serialized), ["remoteId"] = B64(bobId), ["remoteKey"] = B64(bob.Serialized),
            });
            Assert.Equal(theirs["displayable"]!.GetValue<string>(), ours);
            Assert.Equal(60, ours.Length);
            Assert.Equal(ours, SafetyNumber.Compute(bobId, bob, aliceId, alice, iterations));
            Assert.NotEqual(ours, SafetyNumber.Compute(aliceId, alice, bobId, SignalKeyPair.Generate().PublicKey, iterations));
        }
    }
}
