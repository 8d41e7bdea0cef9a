using System.Buffers.Binary;
using System.Net.Sockets;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;

namespace FastChat.Soak;

/// <summary>
/// Buffered, reusable record I/O over one authenticated connection, with two writers: the data
/// path (one sender loop) and the control path (acks and pongs from the receive loop). Each
/// fills its own plaintext buffer; sealing and sending happen under one write lock so record
/// nonces reach the socket in order. Incoming records are decrypted in place. No allocation per
/// message.
/// </summary>
internal sealed class RecordIo(LeanConnection connection)
{
    public const int DataCapacity = 1024 * 1024;

    private readonly byte[] _data = new byte[DataCapacity];
    private readonly byte[] _control = new byte[4096];
    private readonly byte[] _wire = new byte[RecordWriter.MaxSealedLength(DataCapacity)];
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly byte[] _in = new byte[256 * 1024];
    private int _dataCount, _controlCount, _inStart, _inEnd;

    public int DataSpace => _data.Length - _dataCount;

    public LeanConnection Connection => connection;

    public Span<byte> Reserve(int length) => _data.AsSpan(_dataCount, length);
    public void Commit(int length) => _dataCount += length;

    public Span<byte> ReserveControl(int length) => _control.AsSpan(_controlCount, length);
    public void CommitControl(int length) => _controlCount += length;

    public ValueTask FlushAsync(CancellationToken ct) => FlushCoreAsync(control: false, ct);
    public ValueTask FlushControlAsync(CancellationToken ct) => FlushCoreAsync(control: true, ct);

    private async ValueTask FlushCoreAsync(bool control, CancellationToken ct)
    {
        await _write.WaitAsync(ct);
        try
        {
            int wire = control ? Seal(_control, ref _controlCount) : Seal(_data, ref _dataCount);
            int sent = 0;
            while (sent < wire) sent += await connection.Socket.SendAsync(_wire.AsMemory(sent, wire - sent), ct);
        }
        finally { _write.Release(); }
    }

    /// <summary>Seals the buffered frames into records; returns the wire bytes written.</summary>
    private int Seal(byte[] plain, ref int count)
    {
        int wire = RecordWriter.Seal(connection.Transport, plain.AsSpan(0, count), _wire);
        count = 0;
        return wire;
    }

    public delegate void FrameHandler(in Frame frame);

    /// <summary>Receives what is available and handles every whole record; false when the server closed.</summary>
    public async ValueTask<bool> ReceiveAsync(FrameHandler handle, CancellationToken ct)
    {
        if (_inStart == _inEnd) _inStart = _inEnd = 0;
        else if (_inEnd == _in.Length)
        {
            Buffer.BlockCopy(_in, _inStart, _in, 0, _inEnd - _inStart);
            _inEnd -= _inStart;
            _inStart = 0;
        }
        int n = await connection.Socket.ReceiveAsync(_in.AsMemory(_inEnd), ct);
        if (n == 0) return false;
        _inEnd += n;
        while (_inEnd - _inStart >= 2)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(_in.AsSpan(_inStart));
            if (_inEnd - _inStart < 2 + length) break;
            var record = _in.AsSpan(_inStart + 2, length);
            int plain = connection.Transport.Decrypt(record, record);
            if (plain < 0) throw new InvalidOperationException("record failed to decrypt");
            var reader = new FrameReader(record[..plain]);
            while (reader.TryRead(out var frame, out _)) handle(frame);
            _inStart += 2 + length;
        }
        return true;
    }
}
