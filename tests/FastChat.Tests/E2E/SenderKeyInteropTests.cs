using System.Text;
using System.Text.Json.Nodes;
using FastChat.Signal;
using FastChat.Signal.Curve;
using FastChat.Signal.Groups;
using FastChat.Signal.Stores;
using FastChat.Tests.Infrastructure;
using static FastChat.Tests.Infrastructure.LibsignalParty;

namespace FastChat.Tests.E2E;

/// <summary>
/// Sender keys against @signalapp/libsignal-client 0.103.0's group cipher, both ways: its
/// distribution messages processed here and ours there, group messages in order, out of order,
/// repeated and tampered with, and a sender that rotates its key (a new chain) after a removal.
/// </summary>
public class SenderKeyInteropTests
{
    private const string Us = "alice", Them = "carol";
    private static readonly string UsAddress = $"{Us}.1", ThemAddress = $"{Them}.1";

    private static InMemorySignalProtocolStore NewStore() => new(SignalKeyPair.Generate(), 1);

    private static async Task<byte[]> TheirMessageAsync(LibsignalParty party, Guid distribution, string text) =>
        Bytes((await party.CallAsync(new JsonObject { ["op"] = "group_encrypt", ["me"] = Them, ["distributionId"] = distribution.ToString(), ["plaintext"] = B64(Encoding.UTF8.GetBytes(text)) }))["body"]);

    private static async Task<string> TheyReadAsync(LibsignalParty party, byte[] body) =>
        Encoding.UTF8.GetString(Bytes((await party.CallAsync(new JsonObject { ["op"] = "group_decrypt", ["sender"] = Us, ["body"] = B64(body) }))["plaintext"]));

    private static async Task TheyProcessAsync(LibsignalParty party, byte[] distribution) =>
        await party.CallAsync(new JsonObject { ["op"] = "group_process", ["sender"] = Us, ["message"] = B64(distribution) });

    private static string Read(InMemorySignalProtocolStore store, byte[] body) => Encoding.UTF8.GetString(GroupCipher.Decrypt(store, ThemAddress, body));

    [Fact]
    public async Task Their_sender_key_decrypts_here_in_any_order_each_message_once()
    {
        await using var party = await StartAsync();
        var store = NewStore();
        var distribution = Guid.NewGuid();
        var theirs = Bytes((await party.CallAsync(new JsonObject { ["op"] = "group_distribution", ["me"] = Them, ["distributionId"] = distribution.ToString() }))["message"]);
        Assert.Equal(distribution, GroupCipher.ProcessDistributionMessage(store, ThemAddress, theirs));

        var messages = new List<byte[]>();
        foreach (var text in new[] { "one", "two", "three", "four" }) messages.Add(await TheirMessageAsync(party, distribution, text));
        Assert.Equal("three", Read(store, messages[2])); // two skipped keys kept
        Assert.Equal("one", Read(store, messages[0]));
        Assert.Equal("four", Read(store, messages[3]));
        Assert.Equal("two", Read(store, messages[1]));
        Assert.Equal(SignalError.DuplicateMessage, Assert.Throws<SignalProtocolException>(() => Read(store, messages[1])).Kind);

        // A flipped bit anywhere fails the signature; nothing of the chain moves.
        var fifth = await TheirMessageAsync(party, distribution, "five");
        var tampered = (byte[])fifth.Clone();
        tampered[^70] ^= 1;
        Assert.Equal(SignalError.InvalidSignature, Assert.Throws<SignalProtocolException>(() => Read(store, tampered)).Kind);
        Assert.Equal("five", Read(store, fifth));

        // Processing the same distribution again does not rewind the chain.
        GroupCipher.ProcessDistributionMessage(store, ThemAddress, theirs);
        Assert.Equal(SignalError.DuplicateMessage, Assert.Throws<SignalProtocolException>(() => Read(store, messages[0])).Kind);
    }

    [Fact]
    public async Task Our_sender_key_decrypts_in_libsignal_and_a_rotated_key_starts_a_new_chain()
    {
        await using var party = await StartAsync();
        var store = NewStore();
        var distribution = Guid.NewGuid();
        await TheyProcessAsync(party, GroupCipher.CreateDistributionMessage(store, UsAddress, distribution));

        var first = GroupCipher.Encrypt(store, UsAddress, distribution, "hello group"u8);
        var second = GroupCipher.Encrypt(store, UsAddress, distribution, "second"u8);
        var third = GroupCipher.Encrypt(store, UsAddress, distribution, "third"u8);
        Assert.Equal("second", await TheyReadAsync(party, second));
        Assert.Equal("hello group", await TheyReadAsync(party, first));
        Assert.Equal("third", await TheyReadAsync(party, third));
        await Assert.ThrowsAsync<LibsignalException>(() => TheyReadAsync(party, third)); // a repeat is refused there too

        // A member was removed: a fresh chain, distributed to those who remain; what was sent before still reads.
        var late = GroupCipher.Encrypt(store, UsAddress, distribution, "sent before the rotation"u8);
        var rotated = NewStore();
        var newDistribution = GroupCipher.CreateDistributionMessage(rotated, UsAddress, distribution);
        await TheyProcessAsync(party, newDistribution);
        Assert.Equal("after the rotation", await TheyReadAsync(party, GroupCipher.Encrypt(rotated, UsAddress, distribution, "after the rotation"u8)));
        Assert.Equal("sent before the rotation", await TheyReadAsync(party, late));
    }

    [Fact]
    public async Task Their_rotation_keeps_older_chains_readable_and_our_distribution_repeats_the_same_chain()
    {
        await using var party = await StartAsync();
        var store = NewStore();
        var distribution = Guid.NewGuid();
        async Task<byte[]> TheirDistributionAsync() =>
            Bytes((await party.CallAsync(new JsonObject { ["op"] = "group_distribution", ["me"] = Them, ["distributionId"] = distribution.ToString() }))["message"]);
        GroupCipher.ProcessDistributionMessage(store, ThemAddress, await TheirDistributionAsync());
        var old = await TheirMessageAsync(party, distribution, "old chain");
        await party.CallAsync(new JsonObject { ["op"] = "group_forget", ["me"] = Them, ["distributionId"] = distribution.ToString() });
        GroupCipher.ProcessDistributionMessage(store, ThemAddress, await TheirDistributionAsync());
        Assert.Equal("new chain", Read(store, await TheirMessageAsync(party, distribution, "new chain")));
        Assert.Equal("old chain", Read(store, old));

        // Asking for our distribution again gives the same chain at its current iteration, not a new one.
        var ours = NewStore();
        var a = GroupCipher.CreateDistributionMessage(ours, UsAddress, distribution);
        GroupCipher.Encrypt(ours, UsAddress, distribution, "x"u8);
        var b = GroupCipher.CreateDistributionMessage(ours, UsAddress, distribution);
        Assert.Equal(a[..23], b[..23]); // version, uuid and chain id
        Assert.NotEqual(a, b);           // iteration and chain key moved on
    }

    [Fact]
    public void Skipped_keys_are_bounded_and_a_message_too_far_ahead_is_refused()
    {
        var sender = NewStore();
        var receiver = NewStore();
        var distribution = Guid.NewGuid();
        GroupCipher.ProcessDistributionMessage(receiver, ThemAddress, GroupCipher.CreateDistributionMessage(sender, ThemAddress, distribution));
        var messages = Enumerable.Range(0, SenderKeyRecord.MaxMessageKeys + 2).Select(i => GroupCipher.Encrypt(sender, ThemAddress, distribution, Encoding.UTF8.GetBytes($"m{i}"))).ToArray();
        Assert.Equal($"m{messages.Length - 1}", Read(receiver, messages[^1])); // skips 2001 keys; the oldest one is let go
        Assert.Equal(SignalError.DuplicateMessage, Assert.Throws<SignalProtocolException>(() => Read(receiver, messages[0])).Kind);
        Assert.Equal("m1", Read(receiver, messages[1]));

        // A validly signed message claiming an iteration past the bound is refused before any key is made.
        var state = sender.LoadSenderKey(ThemAddress, distribution)!.Current!;
        var far = SenderKeyCodec.EncodeMessage(new FastChat.Signal.Groups.Wire.SenderKeyMessage
        {
            DistributionUuid = SenderKeyCodec.Uuid(distribution),
            ChainId = state.ChainId,
            Iteration = state.Iteration + GroupCipher.MaxForwardJumps + 1,
            Ciphertext = Google.Protobuf.ByteString.CopyFrom(new byte[16]),
        }, new SignalKeyPair(state.SigningPrivate.Span));
        Assert.Equal(SignalError.TooFarAhead, Assert.Throws<SignalProtocolException>(() => Read(receiver, far)).Kind);
        Assert.Equal($"m{messages.Length - 2}", Read(receiver, messages[^2])); // and the chain is as it was
    }
}
