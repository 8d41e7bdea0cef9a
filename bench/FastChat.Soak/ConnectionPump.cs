using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Soak;

/// <summary>
/// The receive side of one harness connection: answers PING, acknowledges every DELIVER
/// (cumulatively, once per batch of records) and hands messages to the pair.
/// </summary>
internal sealed class ConnectionPump(RecordIo io, Pair? pair, Func<HdrHistogram.Recorder?> latency)
{
    /// <summary>Optional: every DELIVER of a message, for modes that check contents themselves.</summary>
    public DeliverHandler? OnDeliver;
    /// <summary>Signalled whenever a SERVER_ACK arrives.</summary>
    public AsyncSignal? OnServerAck;
    public ulong LastServerAck;

    public delegate void DeliverHandler(in DeliverView deliver);

    private ulong _ackUpTo;
    private bool _ackDue;
    private long _pingToken = -1;

    public long ServerAcks;
    public string? Failure;

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            // Frames that arrived in the WELCOME record, before this pump existed.
            var leftover = new FrameReader(io.Connection.Leftover);
            while (leftover.TryRead(out var frame, out _)) Handle(frame);
            if (_ackDue) await FlushAcksAsync(stop);
            while (!stop.IsCancellationRequested)
            {
                if (!await io.ReceiveAsync(Handle, stop))
                {
                    Failure = "server closed the connection";
                    Console.Error.WriteLine("\nconnection closed by the server");
                    return;
                }
                if (!_ackDue && _pingToken < 0) continue;
                await FlushAcksAsync(stop);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            Failure = ex.Message;
            Console.Error.WriteLine($"\nconnection failed: {ex.Message}");
        }
    }

    private ValueTask FlushAcksAsync(CancellationToken stop)
    {
        if (_ackDue)
        {
            MessageFrames.WriteU64(io.ReserveControl(MessageFrames.U64FrameLength), FrameType.DeliveryAck, _ackUpTo);
            io.CommitControl(MessageFrames.U64FrameLength);
            _ackDue = false;
        }
        if (_pingToken >= 0)
        {
            MessageFrames.WriteU64(io.ReserveControl(MessageFrames.U64FrameLength), FrameType.Pong, (ulong)_pingToken);
            io.CommitControl(MessageFrames.U64FrameLength);
            _pingToken = -1;
        }
        return io.FlushControlAsync(stop);
    }

    private void Handle(in Frame frame)
    {
        switch ((FrameType)frame.Type)
        {
            case FrameType.Deliver when MessageFrames.TryParseDeliver(frame.Body, out var deliver):
                _ackUpTo = deliver.Sequence;
                _ackDue = true;
                if (deliver.Kind == DeliveryKind.Message)
                {
                    pair?.OnMessage(deliver, latency());
                    OnDeliver?.Invoke(deliver);
                }
                break;
            case FrameType.ServerAck when MessageFrames.TryParseU64(frame.Body, out ulong acked):
                ServerAcks++;
                Volatile.Write(ref LastServerAck, acked);
                OnServerAck?.Set();
                break;
            case FrameType.Ping when MessageFrames.TryParseU64(frame.Body, out ulong token):
                _pingToken = (long)token;
                break;
            case FrameType.Disconnect:
                throw new InvalidOperationException("server disconnected a harness connection: " +
                    (DisconnectBody.TryParse(frame.Body, out var d) ? $"{d.Code} {d.Reason}" : "?"));
        }
    }
}
