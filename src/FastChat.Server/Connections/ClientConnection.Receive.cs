using System.Buffers;
using System.IO.Pipelines;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;

namespace FastChat.Server.Connections;

internal sealed partial class ClientConnection
{
    private FrameRateLimiter _rate;
    private byte[]? _deferredFrames; // rare: frames behind a pending request in its record

    /// <summary>
    /// Handles what one read brought: every whole record is decrypted into a pooled buffer and
    /// its frames dispatched. False when the connection should stop reading. The read loop itself
    /// lives in <see cref="RunAsync"/>: one async state machine per connection, not two.
    /// </summary>
    private bool ProcessReceived(in ReadResult result)
    {
        var buffer = result.Buffer;
        Volatile.Write(ref _lastReceiveTicks, _server.Clock.NowTicks);
        _pingOutstanding = false;

        bool keepGoing = true, invalid = false;
        while (keepGoing && _state != ConnectionState.Closing && !HasPendingRequest)
        {
            if (!RecordFraming.TryRead(ref buffer, out var record, out invalid)) break;
            keepGoing = ProcessRecord(record);
        }
        if (invalid)
        {
            Close(ErrorCode.ProtocolError, "zero-length record");
            keepGoing = false;
        }
        if (HasPendingRequest)
        {
            // Later records stay in the pipe, unexamined, until the request is answered.
            _input.AdvanceTo(buffer.Start);
            return keepGoing && _state != ConnectionState.Closing;
        }
        _input.AdvanceTo(buffer.Start, buffer.End);
        return keepGoing && !result.IsCompleted && !result.IsCanceled;
    }

    private bool ProcessRecord(in ReadOnlySequence<byte> record)
    {
        int length = (int)record.Length;
        if (length <= NoiseConstants.TagLength)
        {
            // 17 bytes at least: a tag and one byte of plaintext (an empty record is invalid too).
            Close(ErrorCode.ProtocolError, "record too short for a tag and a frame");
            return false;
        }
        var plain = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            record.CopyTo(plain);
            int plainLength = _transport!.Decrypt(plain.AsSpan(0, length), plain);
            if (plainLength < 0)
            {
                Close(ErrorCode.DecryptFailed, "record failed authentication");
                return false;
            }
            return DispatchFrames(plain.AsSpan(0, plainLength), length + RecordFraming.LengthPrefix);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
        }
    }

    internal bool DispatchFrames(ReadOnlySpan<byte> plaintext, int wireBytes)
    {
        if (plaintext.IsEmpty)
        {
            Close(ErrorCode.ProtocolError, "empty record");
            return false;
        }
        _rate.Refill(_server.Clock.NowTicks, _server.Options.MaxFramesPerSecond, _server.Options.FrameBurst);
        var reader = new FrameReader(plaintext);
        int frames = 0;
        while (reader.TryRead(out var frame, out bool malformed))
        {
            frames++;
            if (!_rate.TryTake())
            {
                Close(ErrorCode.RateLimited, "too many frames per second");
                return false;
            }
            if (!Dispatch(frame)) return false;
            if (HasPendingRequest)
            {
                DeferRest(reader.Remaining);
                break;
            }
        }
        _server.Metrics.FramesReceived(frames, wireBytes);
        if ((!reader.End && !HasPendingRequest) || frames == 0)
        {
            Close(ErrorCode.ProtocolError, "truncated frame");
            return false;
        }
        return true;
    }

    /// <summary>Frames of the same record behind a pending request: kept, in order, until it is answered.</summary>
    private void DeferRest(ReadOnlySpan<byte> rest) => _deferredFrames = rest.IsEmpty ? null : rest.ToArray();

    /// <summary>Dispatches what <see cref="DeferRest"/> kept (which may hold the next pending request).</summary>
    private bool DispatchDeferred()
    {
        var deferred = _deferredFrames;
        _deferredFrames = null;
        return deferred is null || DispatchFrames(deferred, 0);
    }
}
