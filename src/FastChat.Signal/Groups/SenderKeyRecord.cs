using FastChat.Signal.Curve;
using FastChat.Signal.Groups.Wire;
using Google.Protobuf;

namespace FastChat.Signal.Groups;

/// <summary>
/// A sender's keys for one distribution (one group) as a device keeps them: up to
/// <see cref="MaxStates"/> chains, newest first (a sender that rotates its key starts a new chain;
/// messages on an older one still decrypt), each with the keys of skipped iterations, at most
/// <see cref="MaxMessageKeys"/>. The limits are libsignal's.
/// </summary>
public sealed class SenderKeyRecord
{
    public const int MaxStates = 5;
    public const int MaxMessageKeys = 2000;
    private readonly List<SenderKeyStateStructure> _states;

    public SenderKeyRecord() => _states = [];

    private SenderKeyRecord(IEnumerable<SenderKeyStateStructure> states) => _states = [.. states];

    public bool IsEmpty => _states.Count == 0;

    /// <summary>The newest chain's id (the one a sender encrypts with); null when there is none.</summary>
    public uint? CurrentChainId => _states.Count > 0 ? _states[0].ChainId : null;

    public byte[] Serialize()
    {
        var record = new SenderKeyRecordStructure();
        record.States.AddRange(_states);
        return record.ToByteArray();
    }

    public static SenderKeyRecord Deserialize(ReadOnlySpan<byte> bytes)
    {
        try { return new SenderKeyRecord(SenderKeyRecordStructure.Parser.ParseFrom(bytes).States); }
        catch (InvalidProtocolBufferException ex) { throw new SignalProtocolException(SignalError.InvalidMessage, "a sender key record that is not protobuf: " + ex.Message); }
    }

    /// <summary>The newest chain: the one a sender encrypts with.</summary>
    internal SenderKeyStateStructure? Current => _states.Count > 0 ? _states[0] : null;

    internal SenderKeyStateStructure? ForChain(uint chainId) => _states.FirstOrDefault(s => s.ChainId == chainId);

    /// <summary>
    /// A chain from a distribution message (or made by the sender, with its private signing key).
    /// The same chain and signing key again keeps the state there is (a repeated distribution
    /// does not rewind it); another key under the same chain id replaces it.
    /// </summary>
    internal void AddState(uint version, uint chainId, uint iteration, ReadOnlySpan<byte> chainKey, SignalPublicKey signingKey, ReadOnlySpan<byte> signingPrivate)
    {
        var existing = _states.FirstOrDefault(s => s.ChainId == chainId && s.SigningPublic.Span.SequenceEqual(signingKey.Serialized));
        _states.RemoveAll(s => s.ChainId == chainId);
        var state = existing ?? new SenderKeyStateStructure
        {
            MessageVersion = version,
            ChainId = chainId,
            Iteration = iteration,
            ChainKey = ByteString.CopyFrom(chainKey),
            SigningPublic = ByteString.CopyFrom(signingKey.Serialized),
        };
        if (existing is null && !signingPrivate.IsEmpty) state.SigningPrivate = ByteString.CopyFrom(signingPrivate);
        while (_states.Count >= MaxStates) _states.RemoveAt(_states.Count - 1);
        _states.Insert(0, state);
    }

    internal static SenderChainKey ChainKeyOf(SenderKeyStateStructure state) => new(state.Iteration, state.ChainKey.ToByteArray());

    internal static void SetChainKey(SenderKeyStateStructure state, SenderChainKey key)
    {
        state.Iteration = key.Iteration;
        state.ChainKey = ByteString.CopyFrom(key.Seed);
    }

    internal static void AddMessageKey(SenderKeyStateStructure state, SenderMessageKey key)
    {
        state.MessageKeys.Add(new SenderMessageKeyStructure { Iteration = key.Iteration, Seed = ByteString.CopyFrom(key.Seed) });
        while (state.MessageKeys.Count > MaxMessageKeys) state.MessageKeys.RemoveAt(0);
    }

    internal static SenderMessageKey? TakeMessageKey(SenderKeyStateStructure state, uint iteration)
    {
        for (int i = 0; i < state.MessageKeys.Count; i++)
        {
            if (state.MessageKeys[i].Iteration != iteration) continue;
            var key = state.MessageKeys[i];
            state.MessageKeys.RemoveAt(i);
            return new SenderMessageKey(iteration, key.Seed.ToByteArray());
        }
        return null;
    }
}
