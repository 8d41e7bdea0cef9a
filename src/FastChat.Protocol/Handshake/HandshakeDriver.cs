using System.Buffers;
using System.Buffers.Binary;
using FastChat.Protocol.Crypto;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;

namespace FastChat.Protocol.Handshake;

/// <summary>
/// The whole connection start — the 8-byte preambles and Noise XX — for either role, with no I/O:
/// feed it what arrived (<see cref="Advance"/>), send what it wrote. The server, the SDK, the
/// harness, the tests and peer links all drive this one state machine, so every side enforces the
/// same limits (protocol-spec/02-handshake.md).
/// The initiator sends its preamble and message 1 in one write (<see cref="Start"/>): message 1
/// is the plaintext ephemeral key, which does not depend on the prologue, so that saves a round trip.
/// </summary>
public sealed class HandshakeDriver : IDisposable
{
    private enum Step { ClientPreamble, ServerPreamble, Message1, Message2, Message3, Done, Failed }

    private readonly bool _initiator;
    private readonly byte[] _staticPrivate;
    private readonly byte[]? _staticPublic;
    private readonly byte[] _outgoingPayload;
    private readonly byte[]? _expectedPeerKey;
    private readonly Func<bool>? _busy;
    private readonly byte[] _preamble = new byte[Preamble.Length];
    private byte[]? _ephemeral;
    private HandshakeState? _handshake;
    private Step _step;

    private HandshakeDriver(bool initiator, ReadOnlySpan<byte> staticPrivateKey, ReadOnlySpan<byte> staticPublicKey,
        byte[] outgoingPayload, byte[]? expectedPeerKey, Func<bool>? busy, ReadOnlySpan<byte> fixedEphemeral)
    {
        _initiator = initiator;
        _staticPrivate = GC.AllocateArray<byte>(NoiseConstants.DhLength, pinned: true);
        staticPrivateKey.CopyTo(_staticPrivate);
        _staticPublic = staticPublicKey.Length == NoiseConstants.DhLength ? staticPublicKey.ToArray() : null;
        if (outgoingPayload.Length > ProtocolLimits.MaxHandshakePayload) throw new ArgumentException("Handshake payload too long.", nameof(outgoingPayload));
        _outgoingPayload = outgoingPayload;
        _expectedPeerKey = expectedPeerKey;
        _busy = busy;
        if (!fixedEphemeral.IsEmpty) _ephemeral = fixedEphemeral.ToArray();
        _step = initiator ? Step.ServerPreamble : Step.ClientPreamble;
    }

    /// <summary>A client (or a peer node dialling out).</summary>
    /// <param name="finalPayload">Message 3's payload (ClientHello).</param>
    /// <param name="expectedPeerKey">The responder's pinned static key, if any: anything else fails before message 3 is sent.</param>
    /// <param name="fixedEphemeral">Test vectors only; normally a fresh random key.</param>
    public static HandshakeDriver CreateInitiator(ReadOnlySpan<byte> staticPrivateKey, byte[] finalPayload, byte[]? expectedPeerKey = null,
        ReadOnlySpan<byte> fixedEphemeral = default) =>
        new(true, staticPrivateKey, default, finalPayload, expectedPeerKey, null, fixedEphemeral);

    /// <summary>A server (or a peer node accepting).</summary>
    /// <param name="staticPublicKey">The static key's public half, cached by a side that handshakes all day.</param>
    /// <param name="replyPayload">Message 2's payload (ServerHello).</param>
    /// <param name="busy">Asked when the preamble arrives: true refuses with server_busy.</param>
    public static HandshakeDriver CreateResponder(ReadOnlySpan<byte> staticPrivateKey, ReadOnlySpan<byte> staticPublicKey, byte[] replyPayload,
        Func<bool>? busy = null, ReadOnlySpan<byte> fixedEphemeral = default) =>
        new(false, staticPrivateKey, staticPublicKey, replyPayload, null, busy, fixedEphemeral);

    public HandshakeFailure Failure { get; private set; }

    /// <summary>The protocol version agreed in the preambles.</summary>
    public byte Version { get; private set; }

    /// <summary>The peer's static public key, once its static key has been read.</summary>
    public ReadOnlySpan<byte> PeerStaticKey => _handshake is null ? default : _handshake.RemoteStaticPublicKey;

    /// <summary>The payload of the last message read: ServerHello for the initiator, ClientHello for the responder.</summary>
    public byte[] PeerPayload { get; private set; } = [];

    public bool IsCompleted => _step == Step.Done;

    /// <summary>Bytes written to outputs so far: a caller flushes when this grew.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>The final handshake hash (channel binding), once completed.</summary>
    public ReadOnlySpan<byte> HandshakeHash => _step == Step.Done ? _handshake!.HandshakeHash : default;

    /// <summary>Initiator only: the client preamble and message 1, to send at once.</summary>
    public void Start(IBufferWriter<byte> output, byte minVersion = Preamble.MinSupportedVersion, byte maxVersion = Preamble.MaxSupportedVersion)
    {
        if (!_initiator) throw new InvalidOperationException("The responder waits for the initiator.");
        Preamble.WriteClient(_preamble, minVersion, maxVersion);
        output.Write(_preamble);
        BytesWritten += Preamble.Length + RecordFraming.LengthPrefix + NoiseConstants.DhLength;
        if (_ephemeral is null)
        {
            _ephemeral = new byte[NoiseConstants.DhLength];
            Sodium.RandomBytes(_ephemeral);
        }
        // Message 1 is e in the clear (and an empty payload); its bytes do not depend on the prologue.
        var message = output.GetSpan(RecordFraming.LengthPrefix + NoiseConstants.DhLength);
        RecordFraming.WriteLength(message, NoiseConstants.DhLength);
        Sodium.X25519PublicKey(_ephemeral, message.Slice(RecordFraming.LengthPrefix, NoiseConstants.DhLength));
        output.Advance(RecordFraming.LengthPrefix + NoiseConstants.DhLength);
    }

    /// <summary>
    /// Consumes what it can from the front of <paramref name="input"/> (the rest stays: records the
    /// peer sent right behind its last handshake message) and writes any reply to <paramref name="output"/>.
    /// </summary>
    public HandshakeProgress Advance(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        Span<byte> peerPreamble = stackalloc byte[Preamble.Length];
        while (true)
        {
            switch (_step)
            {
                case Step.Done: return HandshakeProgress.Completed;
                case Step.Failed: return HandshakeProgress.Failed;
                case Step.ClientPreamble or Step.ServerPreamble:
                    if (input.Length < Preamble.Length) return HandshakeProgress.NeedMoreData;
                    input.Slice(0, Preamble.Length).CopyTo(peerPreamble);
                    input = input.Slice(Preamble.Length);
                    if (_initiator) OnServerPreamble(peerPreamble);
                    else OnClientPreamble(peerPreamble, output);
                    break;
                default:
                    if (!TryTakeMessage(ref input, out var message)) return _step == Step.Failed ? HandshakeProgress.Failed : HandshakeProgress.NeedMoreData;
                    OnMessage(message, output);
                    break;
            }
        }
    }

    /// <summary>The caller saw the input end: a handshake not yet done has failed.</summary>
    public HandshakeProgress InputEnded()
    {
        if (_step == Step.Done) return HandshakeProgress.Completed;
        if (_step != Step.Failed) Fail(HandshakeFailure.Closed);
        return HandshakeProgress.Failed;
    }

    /// <summary>The transport keys (the initiator sends with the first). Once, after completion.</summary>
    public NoiseTransport Split()
    {
        if (_step != Step.Done) throw new InvalidOperationException("Handshake not complete.");
        var transport = new NoiseTransport();
        _handshake!.Split(transport);
        return transport;
    }

    private void OnClientPreamble(ReadOnlySpan<byte> clientPreamble, IBufferWriter<byte> output)
    {
        byte version = 0;
        var status = _busy?.Invoke() == true ? PreambleStatus.ServerBusy : Preamble.Negotiate(clientPreamble, out version);
        Preamble.WriteServer(_preamble, status == PreambleStatus.Ok ? version : Preamble.MaxSupportedVersion, status);
        output.Write(_preamble);
        BytesWritten += Preamble.Length;
        if (status != PreambleStatus.Ok)
        {
            Fail(FailureOf(status));
            return;
        }
        Version = version;
        _handshake = new HandshakeState(false, Preamble.BuildPrologue(clientPreamble, _preamble), _staticPrivate,
            ephemeralPrivateKey: _ephemeral, staticPublicKey: _staticPublic);
        _step = Step.Message1;
    }

    private void OnServerPreamble(ReadOnlySpan<byte> serverPreamble)
    {
        if (_ephemeral is null) throw new InvalidOperationException("Call Start first.");
        var status = Preamble.ReadServer(serverPreamble, out byte version);
        if (status == PreambleStatus.Ok && (version < _preamble[4] || version > _preamble[5])) status = PreambleStatus.UnsupportedVersion;
        if (status != PreambleStatus.Ok)
        {
            Fail(FailureOf(status));
            return;
        }
        Version = version;
        _handshake = new HandshakeState(true, Preamble.BuildPrologue(_preamble, serverPreamble), _staticPrivate, ephemeralPrivateKey: _ephemeral);
        // Replays message 1 into the handshake hash: the same bytes Start sent, as the ephemeral is the same.
        Span<byte> sent = stackalloc byte[NoiseConstants.DhLength];
        _handshake.WriteMessage(default, sent);
        ZeroEphemeral();
        _step = Step.Message2;
    }

    private void OnMessage(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        var handshake = _handshake!;
        var payload = ArrayPool<byte>.Shared.Rent(message.Length);
        try
        {
            int payloadLength = handshake.ReadMessage(message, payload);
            if (payloadLength < 0)
            {
                Fail(HandshakeFailure.InvalidMessage);
                return;
            }
            switch (_step)
            {
                case Step.Message1: // the payload MUST be empty and is ignored
                    WriteMessage(handshake, output);
                    ZeroEphemeral();
                    _step = Step.Message3;
                    break;
                case Step.Message2:
                    PeerPayload = payload.AsSpan(0, payloadLength).ToArray();
                    if (_expectedPeerKey is not null && !handshake.RemoteStaticPublicKey.SequenceEqual(_expectedPeerKey))
                    {
                        Fail(HandshakeFailure.PeerKeyMismatch);
                        return;
                    }
                    WriteMessage(handshake, output);
                    _step = Step.Done;
                    break;
                case Step.Message3:
                    PeerPayload = payload.AsSpan(0, payloadLength).ToArray();
                    _step = Step.Done;
                    break;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(payload); }
    }

    private void WriteMessage(HandshakeState handshake, IBufferWriter<byte> output)
    {
        int length = handshake.MessageLength(_outgoingPayload.Length);
        var span = output.GetSpan(RecordFraming.LengthPrefix + length);
        int written = handshake.WriteMessage(_outgoingPayload, span[RecordFraming.LengthPrefix..]);
        RecordFraming.WriteLength(span, written);
        output.Advance(RecordFraming.LengthPrefix + written);
        BytesWritten += RecordFraming.LengthPrefix + written;
    }

    /// <summary>One whole length-prefixed handshake message; an oversized one fails as soon as its prefix is seen.</summary>
    private bool TryTakeMessage(ref ReadOnlySequence<byte> input, out ReadOnlySpan<byte> message)
    {
        message = default;
        if (input.Length < RecordFraming.LengthPrefix) return false;
        Span<byte> prefix = stackalloc byte[RecordFraming.LengthPrefix];
        input.Slice(0, RecordFraming.LengthPrefix).CopyTo(prefix);
        int length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
        int index = _step switch { Step.Message1 => 0, Step.Message2 => 1, _ => 2 };
        if (length == 0 || length > ProtocolLimits.MaxHandshakeMessage(index))
        {
            Fail(HandshakeFailure.BadMessageLength);
            return false;
        }
        if (input.Length < RecordFraming.LengthPrefix + length) return false;
        var body = input.Slice(RecordFraming.LengthPrefix, length);
        message = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        input = input.Slice(RecordFraming.LengthPrefix + length);
        return true;
    }

    private static HandshakeFailure FailureOf(PreambleStatus status) => status switch
    {
        PreambleStatus.UnsupportedVersion => HandshakeFailure.UnsupportedVersion,
        PreambleStatus.ServerBusy => HandshakeFailure.ServerBusy,
        _ => HandshakeFailure.BadPreamble,
    };

    private void Fail(HandshakeFailure failure)
    {
        Failure = failure;
        _step = Step.Failed;
    }

    private void ZeroEphemeral()
    {
        if (_ephemeral is not null) Sodium.Zero(_ephemeral);
    }

    public void Dispose()
    {
        ZeroEphemeral();
        Sodium.Zero(_staticPrivate);
        _handshake?.Dispose();
    }

    /// <summary>Both ends in one process (tests, benchmarks): runs them against each other over memory.</summary>
    public static (NoiseTransport Initiator, NoiseTransport Responder) RunInMemory(HandshakeDriver initiator, HandshakeDriver responder)
    {
        var toResponder = new ArrayBufferWriter<byte>();
        var toInitiator = new ArrayBufferWriter<byte>();
        initiator.Start(toResponder);
        for (int turn = 0; turn < 4 && !(initiator.IsCompleted && responder.IsCompleted); turn++)
        {
            var forResponder = new ReadOnlySequence<byte>(toResponder.WrittenMemory.ToArray());
            toResponder.Clear();
            if (responder.Advance(ref forResponder, toInitiator) == HandshakeProgress.Failed) break;
            var forInitiator = new ReadOnlySequence<byte>(toInitiator.WrittenMemory.ToArray());
            toInitiator.Clear();
            if (initiator.Advance(ref forInitiator, toResponder) == HandshakeProgress.Failed) break;
        }
        if (!initiator.IsCompleted || !responder.IsCompleted)
            throw new InvalidOperationException($"in-memory handshake failed: {initiator.Failure} / {responder.Failure}");
        return (initiator.Split(), responder.Split());
    }
}
