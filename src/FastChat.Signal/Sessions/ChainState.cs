using FastChat.Signal.Curve;
using FastChat.Signal.Kdf;

namespace FastChat.Signal.Sessions;

/// <summary>
/// One symmetric chain of the Double Ratchet, named by the ratchet public key it came from: its
/// chain key and the index of the last message key taken (−1 before any). A receiving chain also
/// keeps the message keys it skipped (messages that arrive out of order), bounded.
/// </summary>
internal sealed class ChainState
{
    public ChainState(SignalPublicKey ratchetKey, byte[]? chainKey)
    {
        RatchetKey = ratchetKey;
        ChainKey = chainKey;
    }

    public SignalPublicKey RatchetKey { get; }
    /// <summary>Null once the chain is closed (the sender moved to a new ratchet key): only skipped keys remain.</summary>
    public byte[]? ChainKey { get; set; }
    public long Counter { get; set; } = -1;
    public SortedDictionary<uint, byte[]> SkippedKeys { get; } = new();

    /// <summary>Advances to <paramref name="counter"/>, keeping the keys passed over; bounded by <paramref name="maxAhead"/>.</summary>
    public void FillTo(long counter, int maxAhead)
    {
        if (counter <= Counter) return;
        if (counter - Counter > maxAhead) throw new SignalProtocolException(SignalError.TooFarAhead, $"over {maxAhead} messages into the future");
        if (ChainKey is null) throw new SignalProtocolException(SignalError.DuplicateMessage, "the chain is closed");
        while (Counter < counter)
        {
            uint next = (uint)(Counter + 1);
            SkippedKeys[next] = Step(ChainKey!);
        }
    }

    /// <summary>The sending side: the next message key, and its counter.</summary>
    public (byte[] MessageKey, uint Counter) TakeNextKey()
    {
        if (ChainKey is null) throw new SignalProtocolException(SignalError.NoSession, "the sending chain is closed");
        var key = Step(ChainKey);
        return (key, (uint)Counter);
    }

    /// <summary>One chain step: the message key of the next counter; the chain key and counter move on.</summary>
    private byte[] Step(byte[] chainKey)
    {
        var messageKey = SignalKdf.MessageKeyOf(chainKey);
        ChainKey = SignalKdf.NextChainKey(chainKey);
        Counter++;
        return messageKey;
    }

    /// <summary>Takes the message key of <paramref name="counter"/> (it is used once); null when it is not held.</summary>
    public byte[]? TakeKey(uint counter) => SkippedKeys.Remove(counter, out var key) ? key : null;

    public ChainState Clone()
    {
        var copy = new ChainState(RatchetKey, (byte[]?)ChainKey?.Clone()) { Counter = Counter };
        foreach (var (n, key) in SkippedKeys) copy.SkippedKeys[n] = key;
        return copy;
    }
}
