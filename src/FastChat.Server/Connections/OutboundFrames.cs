using System.Buffers;

namespace FastChat.Server.Connections;

/// <summary>
/// A connection's plaintext frames waiting to be sealed and flushed, inline in the connection (no
/// object of its own) and guarded by the connection's monitor. An idle connection holds no buffer:
/// one is rented at the first frame and handed over whole to the flush.
/// </summary>
internal struct OutboundFrames
{
    private const int InitialBuffer = 4096;

    private byte[]? _buffer;
    private int _count;
    private int _frames;

    /// <summary>A flush work item is scheduled or running.</summary>
    public bool FlushScheduled;

    /// <summary>Nothing more may be appended (closing, or the transport is gone).</summary>
    public bool Closed;

    public readonly int Count => _count;

    public void Append(ReadOnlySpan<byte> frame)
    {
        if (_buffer is null || _buffer.Length - _count < frame.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(InitialBuffer, Math.Max(_count + frame.Length, (_buffer?.Length ?? 0) * 2)));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _count).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            _buffer = bigger;
        }
        frame.CopyTo(_buffer.AsSpan(_count));
        _count += frame.Length;
        _frames++;
    }

    /// <summary>Takes everything appended so far (the caller returns <paramref name="batch"/> to the pool); false when empty.</summary>
    public bool TryTake(out byte[] batch, out int count, out int frames)
    {
        (batch, count, frames) = (_buffer!, _count, _frames);
        if (_buffer is null || _count == 0) return false;
        (_buffer, _count, _frames) = (null, 0, 0);
        return true;
    }

    /// <summary>Drops what is left (at close) and returns the buffer.</summary>
    public void Release()
    {
        if (_buffer is not null) ArrayPool<byte>.Shared.Return(_buffer);
        (_buffer, _count, _frames) = (null, 0, 0);
    }
}
