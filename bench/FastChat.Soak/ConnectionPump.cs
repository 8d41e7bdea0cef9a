using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Soak;

/// <summary>
/// The receive side of one harness connection: answers PING, acknowledges every DELIVER
/// (cumulatively, once per batch of records) and hands messages to the pair.
/// </summary>
internal sealed class ConnectionPump(RecordIo io, Pair? pair, Func<HdrHistogram.Recorder?> latency)
{
    private ulong _ackUpTo;
    private bool _ackDue;
    private long _pingToken = -1;

    public long ServerAcks;
    public string? Failure;

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!await io.ReceiveAsync(Handle, stop))
                {
                    Failure = "server closed the connection";
                    Console.Error.WriteLine("\nconnection closed by the server");
                    return;
                }
                if (!_ackDue && _pingToken < 0) continue;
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
                }
                await io.FlushControlAsync(stop);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            Failure = ex.Message;
            Console.Error.WriteLine($"\nconnection failed: {ex.Message}");
        }
    }

    private void Handle(in Frame frame)
    {
        switch ((FrameType)frame.Type)
        {
            case FrameType.Deliver when MessageFrames.TryParseDeliver(frame.Body, out var deliver):
                _ackUpTo = deliver.Sequence;
                _ackDue = true;
                if (deliver.Kind == DeliveryKind.Message) pair?.OnMessage(deliver, latency());
                break;
            case FrameType.ServerAck:
                ServerAcks++;
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
