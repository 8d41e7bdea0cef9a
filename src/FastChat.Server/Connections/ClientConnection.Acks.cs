using System.Buffers.Binary;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Storage;

namespace FastChat.Server.Connections;

/// <summary>
/// Message ids strictly increase per sender. The high-water mark (persisted as H|user with
/// each accepted message) deduplicates retries; SERVER_ACK is cumulative and is sent only after a
/// group commit covers the message.
/// </summary>
internal sealed partial class ClientConnection : ICommitWaiter
{
    private ulong _highWater;     // highest id accepted (read-loop thread only)
    private ulong _acceptedId;    // guarded by the commit lock
    private ulong _ackCapture;    // guarded by the commit lock
    private ulong _lastAckSent;   // commit thread only
    private bool _commitEnlisted; // guarded by the commit lock
    private bool _forceAck;       // guarded by the commit lock
    private bool _captureForce;   // guarded by the commit lock

    private void Accept(ulong messageId)
    {
        _highWater = messageId;
        if (LoadRejectionsIfAny()) ForgetRejection(messageId);
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, messageId);
        _server.Store.Upsert(key[..StoreKeys.HighWaterKey(key, _userBytes)], value);
        EnlistForAck(messageId, force: false);
    }

    /// <summary>A retry of an accepted id: acknowledge again once it is certainly durable.</summary>
    private void Reacknowledge() => EnlistForAck(0, force: true);

    /// <summary>Joins the next group commit, whose completion sends SERVER_ACK up to the highest accepted id.</summary>
    private void EnlistForAck(ulong acceptedId, bool force)
    {
        var commit = _server.Commit;
        lock (commit.SyncRoot)
        {
            if (acceptedId > _acceptedId) _acceptedId = acceptedId;
            _forceAck |= force;
            if (_commitEnlisted) return;
            _commitEnlisted = true;
            commit.EnlistLocked(this);
        }
    }

    private ulong LoadHighWater()
    {
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        Span<byte> value = stackalloc byte[8];
        return _server.Store.Read(key[..StoreKeys.HighWaterKey(key, _userBytes)], value) == 8
            ? BinaryPrimitives.ReadUInt64LittleEndian(value)
            : 0;
    }

    public void CaptureCommitPoint()
    {
        _ackCapture = _acceptedId;
        _captureForce = _forceAck;
        _forceAck = false;
        _commitEnlisted = false;
    }

    public void OnCommitted()
    {
        ulong upTo = _ackCapture;
        if (upTo == 0 || (upTo == _lastAckSent && !_captureForce)) return;
        _lastAckSent = upTo;
        Span<byte> frame = stackalloc byte[MessageFrames.U64FrameLength];
        MessageFrames.WriteU64(frame, FrameType.ServerAck, upTo);
        TryWrite(frame);
    }
}
