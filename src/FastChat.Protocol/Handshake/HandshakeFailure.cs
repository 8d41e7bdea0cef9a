namespace FastChat.Protocol.Handshake;

/// <summary>Where a handshake stands after the bytes it was given.</summary>
public enum HandshakeProgress
{
    /// <summary>Waiting for more input; send whatever was written to the output first.</summary>
    NeedMoreData,
    /// <summary>Done: call <see cref="HandshakeDriver.Split"/>; send what was written first.</summary>
    Completed,
    /// <summary>Over for good (<see cref="HandshakeDriver.Failure"/> says why); send what was written (a refusing preamble), then close.</summary>
    Failed,
}

/// <summary>Why a handshake failed.</summary>
public enum HandshakeFailure
{
    None,
    /// <summary>The preamble is not FastChat's, or (initiator) the responder answered with status bad_preamble.</summary>
    BadPreamble,
    /// <summary>No protocol version both sides speak.</summary>
    UnsupportedVersion,
    /// <summary>The responder is shutting down (preamble status server_busy).</summary>
    ServerBusy,
    /// <summary>A handshake message longer than its limit, or a zero length prefix.</summary>
    BadMessageLength,
    /// <summary>A Noise message did not verify.</summary>
    InvalidMessage,
    /// <summary>(initiator) the responder's static key is not the one expected.</summary>
    PeerKeyMismatch,
    /// <summary>The input ended before the handshake did.</summary>
    Closed,
}
