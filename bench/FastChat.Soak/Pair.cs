using System.Buffers.Binary;
using System.Diagnostics;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using HdrHistogram;

namespace FastChat.Soak;

/// <summary>
/// One sender → receiver pair. Payload = seq u64 | send timestamp i64 | filler derived from seq,
/// so the receiver detects loss, duplication, reordering and corruption, and measures latency.
/// With <c>onePerRecord</c> every SEND is sealed in a record of its own and sent with its own
/// send(), as a phone sends one message at a time; otherwise what the window allows goes in one record.
/// </summary>
internal sealed class Pair(string receiverName, RecordIo sender, int window, int size, ulong firstMessageId, bool onePerRecord = false)
{
    private readonly AsyncSignal _windowOpened = new();
    private readonly byte[] _receiverName = System.Text.Encoding.ASCII.GetBytes(receiverName);
    private volatile bool _stopSending;
    private long _sent;
    private long _received;
    private long _expected;

    public long Sent => Volatile.Read(ref _sent);
    public long Received => Volatile.Read(ref _received);
    public long Lost;
    public long Duplicated;
    public long Reordered;
    public long Corrupted;

    public static int MinimumSize => 16;

    public async Task SendLoopAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested && !_stopSending)
            {
                long inFlight = _sent - Volatile.Read(ref _received);
                int frameLength = MessageFrames.SendLength(_receiverName.Length, size);
                long room = Math.Min(window - inFlight, sender.DataSpace / frameLength);
                if (room <= 0)
                {
                    await _windowOpened.WaitAsync();
                    continue;
                }
                if (onePerRecord)
                {
                    for (long i = 0; i < room; i++)
                    {
                        AppendMessage(frameLength);
                        await sender.FlushAsync(stop);
                    }
                    continue;
                }
                for (long i = 0; i < room; i++) AppendMessage(frameLength);
                await sender.FlushAsync(stop);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Appends the next SEND: header and recipient, then the payload written in place.</summary>
    private void AppendMessage(int frameLength)
    {
        long seq = _sent;
        var frame = sender.Reserve(frameLength);
        int n = MessageFrames.WriteSend(frame, firstMessageId + (ulong)seq, _receiverName, ReadOnlySpan<byte>.Empty);
        var payload = frame.Slice(n, size);
        BinaryPrimitives.WriteInt64BigEndian(payload, seq);
        BinaryPrimitives.WriteInt64BigEndian(payload[8..], Stopwatch.GetTimestamp());
        for (int b = 16; b < size; b++) payload[b] = (byte)(seq + b);
        BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)(frameLength - ProtocolLimits.FrameHeaderLength));
        sender.Commit(frameLength);
        _sent = seq + 1;
    }

    /// <summary>Called for each DELIVER of a message on the receiver's connection.</summary>
    public void OnMessage(in DeliverView deliver, Recorder? latency)
    {
        var payload = deliver.Payload;
        if (payload.Length != size) { Corrupted++; Arrive(); return; }
        long seq = BinaryPrimitives.ReadInt64BigEndian(payload);
        long sentAt = BinaryPrimitives.ReadInt64BigEndian(payload[8..]);
        for (int b = 16; b < payload.Length; b++)
            if (payload[b] != (byte)(seq + b)) { Corrupted++; break; }
        if (seq == _expected) _expected++;
        else if (seq > _expected) { Reordered++; _expected = seq + 1; }
        else Duplicated++;
        latency?.RecordValue(Math.Max(1, (Stopwatch.GetTimestamp() - sentAt) * 1_000_000 / Stopwatch.Frequency));
        Arrive();
    }

    private void Arrive()
    {
        Interlocked.Increment(ref _received);
        _windowOpened.Set();
    }

    public void StopSending()
    {
        _stopSending = true;
        _windowOpened.Set();
    }

    /// <summary>After the run: what was sent and never arrived.</summary>
    public void SettleLosses() => Lost = Math.Max(0, Sent - Received);
}

internal static class SoakNames
{
    public const string Sender = "snd";
    public const string Receiver = "rcv";
}
