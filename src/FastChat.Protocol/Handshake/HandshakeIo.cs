using System.IO.Pipelines;

namespace FastChat.Protocol.Handshake;

/// <summary>A handshake that failed, with the reason (<see cref="HandshakeDriver.Failure"/>).</summary>
public sealed class HandshakeException(HandshakeFailure failure)
    : Exception($"handshake failed: {failure}")
{
    public HandshakeFailure Failure { get; } = failure;
}

/// <summary>Drives a <see cref="HandshakeDriver"/> over a pipe pair or a stream: the one I/O loop every side shares.</summary>
public static class HandshakeIo
{
    /// <summary>
    /// Runs the handshake to its end over a pipe pair (an initiator is started first). Bytes the
    /// peer sent right behind its last handshake message stay in <paramref name="input"/>. On
    /// failure whatever the driver wrote (a refusing preamble) has been flushed.
    /// </summary>
    public static async ValueTask<HandshakeProgress> RunAsync(HandshakeDriver driver, PipeReader input, PipeWriter output,
        bool initiator, CancellationToken cancellationToken = default)
    {
        if (initiator)
        {
            driver.Start(output);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            long written = driver.BytesWritten;
            var progress = driver.Advance(ref buffer, output);
            if (progress == HandshakeProgress.NeedMoreData) input.AdvanceTo(buffer.Start, buffer.End);
            else input.AdvanceTo(buffer.Start); // what is left is the peer's first records: not examined yet
            if (driver.BytesWritten != written) await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (progress != HandshakeProgress.NeedMoreData) return progress;
            if (result.IsCompleted || result.IsCanceled) return driver.InputEnded();
        }
    }

    /// <summary>
    /// Runs an initiator over a stream (clients). Throws <see cref="HandshakeException"/> on failure.
    /// A responder speaks only after message 3, so nothing can be read past the handshake here.
    /// </summary>
    public static async Task RunInitiatorAsync(HandshakeDriver driver, Stream stream, CancellationToken cancellationToken = default)
    {
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 2048, leaveOpen: true));
        var output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            if (await RunAsync(driver, input, output, initiator: true, cancellationToken).ConfigureAwait(false) != HandshakeProgress.Completed)
                throw new HandshakeException(driver.Failure);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }
}
