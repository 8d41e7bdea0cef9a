using System.Threading.Channels;

namespace FastChat.Client.Transport;

/// <summary>
/// The only writer of one connection: frames are queued in order and every wake-up writes all
/// that is waiting as one batch of records, so ids reach the server in the order they were given.
/// </summary>
internal sealed class FrameWriterLoop
{
    private readonly Channel<byte[]> _frames = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public FrameWriterLoop(ClientTransport transport, CancellationToken ct) => _loop = Task.Run(() => RunAsync(transport, ct));

    public bool Enqueue(byte[] frame) => _frames.Writer.TryWrite(frame);

    public void Complete() => _frames.Writer.TryComplete();

    /// <summary>Completes after everything queued before <see cref="Complete"/> was written.</summary>
    public Task Completion => _loop;

    private async Task RunAsync(ClientTransport transport, CancellationToken ct)
    {
        var batch = new MemoryStream();
        try
        {
            while (await _frames.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                batch.SetLength(0);
                while (batch.Length < 256 * 1024 && _frames.Reader.TryRead(out var frame)) batch.Write(frame);
                await transport.WriteFramesAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length), ct).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Broken connection: the read loop notices and reconnects; unacked sends are resent.
            _frames.Writer.TryComplete();
        }
    }
}
