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
    public ChainState(SignalPublicKey ratchetKey, byte[]? chainKey, bool sending)
    {
        RatchetKey = ratchetKey;
        ChainKey = chainKey;
        IsSending = sending;
    }

    public SignalPublicKey RatchetKey { get; }
    public bool IsSending { get; }
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
            SkippedKeys[(uint)(Counter + 1)] = SignalKdf.MessageKeyOf(ChainKey);
            ChainKey = SignalKdf.NextChainKey(ChainKey);
            Counter++;
        }
    }

    /// <summary>Takes the message key of <paramref name="counter"/> (it is used once); null when it is not held.</summary>
    public byte[]? TakeKey(uint counter) => SkippedKeys.Remove(counter, out var key) ? key : null;

    public ChainState Clone()
    {
        var copy = new ChainState(RatchetKey, (byte[]?)ChainKey?.Clone(), IsSending) { Counter = Counter };
        foreach (var (n, key) in SkippedKeys) copy.SkippedKeys[n] = key;
        return copy;
    }
}
