using System.Buffers;
using System.Net.Sockets;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Handshake;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;

namespace FastChat.Client.Transport;

/// <summary>
/// One TCP connection as the client sees it: preamble, Noise XX as initiator, then encrypted
/// records. Reads happen on one loop; writes are serialized by a lock and batched by callers.
/// </summary>
public sealed class ClientTransport : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private NoiseTransport _noise = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _readBuffer = new byte[NoiseConstants.MaxMessageLength];

    private ClientTransport(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public byte[] ServerStaticKey { get; private set; } = [];
    public ServerHello? Hello { get; private set; }

    public static async Task<ClientTransport> ConnectAsync(string host, int port, ClientHello hello,
        byte[] staticPrivateKey, byte[]? expectedServerKey, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var transport = new ClientTransport(socket);
        try
        {
            await transport.HandshakeAsync(hello, staticPrivateKey, expectedServerKey, cancellationToken).ConfigureAwait(false);
            return transport;
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task HandshakeAsync(ClientHello hello, byte[] staticPrivateKey, byte[]? expectedServerKey, CancellationToken ct)
    {
        using var driver = HandshakeDriver.CreateInitiator(staticPrivateKey, hello.Encode(), expectedServerKey);
        try
        {
            await HandshakeIo.RunInitiatorAsync(driver, _stream, ct).ConfigureAwait(false);
        }
        catch (HandshakeException ex)
        {
            throw ex.Failure switch
            {
                HandshakeFailure.UnsupportedVersion => new FastChatException(ErrorCode.UnsupportedVersion, "server refused the preamble: no common version"),
                HandshakeFailure.ServerBusy or HandshakeFailure.BadPreamble => new FastChatException(ErrorCode.HandshakeFailed, $"server refused the preamble: {ex.Failure}"),
                HandshakeFailure.PeerKeyMismatch => new FastChatException(ErrorCode.HandshakeFailed, "server key does not match the pinned key"),
                HandshakeFailure.Closed => new FastChatException(ErrorCode.HandshakeFailed, "server closed the connection during the handshake"),
                _ => new FastChatException(ErrorCode.HandshakeFailed, "server handshake message did not verify"),
            };
        }
        ServerStaticKey = driver.PeerStaticKey.ToArray();
        if (!ServerHello.TryParse(driver.PeerPayload, out var serverHello))
            throw new FastChatException(ErrorCode.ProtocolError, "malformed ServerHello");
        Hello = serverHello;
        _noise = driver.Split();
    }

    /// <summary>Reads one length-prefixed message into the shared read buffer.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> ReadMessageAsync(CancellationToken ct)
    {
        await _stream.ReadExactlyAsync(_readBuffer.AsMemory(0, RecordFraming.LengthPrefix), ct).ConfigureAwait(false);
        int length = (_readBuffer[0] << 8) | _readBuffer[1];
        if (length == 0) throw new FastChatException(ErrorCode.ProtocolError, "zero-length record");
        await _stream.ReadExactlyAsync(_readBuffer.AsMemory(0, length), ct).ConfigureAwait(false);
        return _readBuffer.AsMemory(0, length);
    }

    /// <summary>Reads and decrypts one record; the result is valid until the next call.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadRecordAsync(CancellationToken ct)
    {
        var record = await ReadMessageAsync(ct).ConfigureAwait(false);
        int n = _noise.Decrypt(record.Span, _readBuffer);
        if (n < 0) throw new FastChatException(ErrorCode.DecryptFailed, "record from server failed authentication");
        return _readBuffer.AsMemory(0, n);
    }

    /// <summary>Encrypts frames (already encoded back to back) into records and writes them.</summary>
    public async Task WriteFramesAsync(ReadOnlyMemory<byte> frames, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        var output = ArrayPool<byte>.Shared.Rent(RecordWriter.MaxSealedLength(frames.Length));
        try
        {
            int written = RecordWriter.Seal(_noise, frames.Span, output);
            await _stream.WriteAsync(output.AsMemory(0, written), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(output);
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _noise.Clear();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        await _stream.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }
}
