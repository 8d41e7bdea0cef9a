using FastChat.Signal.Curve;
using FastChat.Signal.Kdf;

namespace FastChat.Signal.Sessions;

/// <summary>
/// One Double Ratchet session with one remote device, in the shape libsignal keeps it: the root
/// key, our current ratchet key pair, the remote's last ratchet key, our sending chain and the
/// receiving chains (the newest few, each with its skipped message keys), the identities on both
/// ends, and — until the remote answers — the prekey message header to repeat on every send.
/// Mutated only on a copy that is kept when a message decrypts (a forged message changes nothing).
/// </summary>
internal sealed class SessionState
{
    /// <summary>Receiving chains kept (older ones and their skipped keys are dropped), as libsignal does.</summary>
    public const int MaxReceivingChains = 5;
    /// <summary>How far ahead in one chain a message may be, and how many skipped keys a session keeps in all.</summary>
    public const int MaxSkippedKeys = 2000;

    public required byte[] RootKey { get; set; }
    public required SignalKeyPair OurRatchetKey { get; set; }
    public required SignalPublicKey TheirRatchetKey { get; set; }
    public uint PreviousCounter { get; set; }
    public ChainState? SendingChain { get; set; }
    public List<ChainState> ReceivingChains { get; } = new();
    public required SignalPublicKey LocalIdentity { get; init; }
    public required SignalPublicKey RemoteIdentity { get; init; }
    public uint RemoteRegistrationId { get; init; }
    /// <summary>The X3DH base key: Alice's ephemeral key, which names the session on both sides.</summary>
    public required SignalPublicKey BaseKey { get; init; }
    public PendingPreKey? PendingPreKey { get; set; }

    /// <summary>The ratchet step: a DH with <paramref name="theirs"/> mixes into the root key and yields a new chain key.</summary>
    public byte[] StepRoot(SignalKeyPair ours, SignalPublicKey theirs)
    {
        var derived = SignalKdf.Derive(ours.Agree(theirs), RootKey, SignalKdf.WhisperRatchet, 64);
        RootKey = derived[..32];
        return derived[32..];
    }

    public void StartSendingChain(SignalPublicKey theirs)
    {
        var chainKey = StepRoot(OurRatchetKey, theirs);
        SendingChain = new ChainState(OurRatchetKey.PublicKey, chainKey);
    }

    public ChainState? ReceivingChainOf(SignalPublicKey ratchetKey) => ReceivingChains.Find(c => c.RatchetKey == ratchetKey);

    /// <summary>
    /// A message under a ratchet key not seen before: close the remote's previous chain (keeping its
    /// keys up to <paramref name="previousCounter"/>), derive the receiving chain, then ours anew.
    /// </summary>
    public void StepRatchet(SignalPublicKey theirNewKey, uint previousCounter)
    {
        if (ReceivingChainOf(theirNewKey) is not null) return;
        if (ReceivingChainOf(TheirRatchetKey) is { } previous)
        {
            previous.FillTo(previousCounter, MaxSkippedKeys);
            previous.ChainKey = null;
        }
        ReceivingChains.Add(new ChainState(theirNewKey, StepRoot(OurRatchetKey, theirNewKey)));
        if (ReceivingChains.Count > MaxReceivingChains) ReceivingChains.RemoveAt(0);
        if (SendingChain is { } sending) PreviousCounter = (uint)Math.Max(0, sending.Counter);
        OurRatchetKey = SignalKeyPair.Generate();
        StartSendingChain(theirNewKey);
        TheirRatchetKey = theirNewKey;
    }

    /// <summary>Drops the oldest skipped keys past <see cref="MaxSkippedKeys"/> in all.</summary>
    public void TrimSkippedKeys()
    {
        int total = ReceivingChains.Sum(c => c.SkippedKeys.Count);
        foreach (var chain in ReceivingChains)
            while (total > MaxSkippedKeys && chain.SkippedKeys.Count > 0)
            {
                chain.SkippedKeys.Remove(chain.SkippedKeys.Keys.First());
                total--;
            }
    }

    public SessionState Clone()
    {
        var copy = new SessionState
        {
            RootKey = (byte[])RootKey.Clone(),
            OurRatchetKey = OurRatchetKey,
            TheirRatchetKey = TheirRatchetKey,
            PreviousCounter = PreviousCounter,
            SendingChain = SendingChain?.Clone(),
            LocalIdentity = LocalIdentity,
            RemoteIdentity = RemoteIdentity,
            RemoteRegistrationId = RemoteRegistrationId,
            BaseKey = BaseKey,
            PendingPreKey = PendingPreKey,
        };
        copy.ReceivingChains.AddRange(ReceivingChains.Select(c => c.Clone()));
        return copy;
    }
}

/// <summary>The X3DH header an initiator repeats in every message until the remote answers.</summary>
internal sealed record PendingPreKey(uint SignedPreKeyId, uint? PreKeyId, SignalPublicKey BaseKey);
