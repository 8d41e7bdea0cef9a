using System.Net.Sockets;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Handshake;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;

namespace FastChat.Tests.Infrastructure;

/// <summary>A hand-driven protocol client for sending exactly the bytes a test wants, good or bad.</summary>
public sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private NoiseTransport _noise = new();
    private readonly byte[] _clientPreamble = new byte[Preamble.Length];

    public byte[] ServerPreamble { get; } = new byte[Preamble.Length];

    private RawConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _stream.ReadTimeout = 10000;
    }

    /// <param name="receiveBuffer">A small kernel receive buffer (set before connecting) makes the server's sends block sooner.</param>
    public static async Task<RawConnection> OpenAsync(int port, int? receiveBuffer = null)
    {
        var tcp = new TcpClient { NoDelay = true };
        if (receiveBuffer is { } size) tcp.ReceiveBufferSize = size;
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RawConnection(tcp);
    }

    /// <summary>Preamble, handshake and the first server frame (WELCOME or DISCONNECT).</summary>
    public static async Task<(RawConnection Connection, (byte Type, byte[] Body) First)> HandshakeAsync(int port, string user, byte[] key, int? receiveBuffer = null)
    {
        var connection = await OpenAsync(port, receiveBuffer);
        await connection.HandshakeAsync(user, key);
        var frames = await connection.ReadFramesAsync();
        return (connection, frames[0]);
    }

    /// <summary>A connection whose new user registered on an open-registration server and got WELCOME authenticated.</summary>
    public static async Task<RawConnection> RegisteredAsync(int port, string user)
    {
        var (raw, first) = await HandshakeAsync(port, user, TestClient.NewKey());
        if (first.Type != (byte)FrameType.Welcome) throw new InvalidOperationException($"expected WELCOME, got 0x{first.Type:x2}");
        await raw.WriteRecordAsync(Frame(FrameType.Register, ControlFrames.Encode(new RegisterBody(null))[ProtocolLimits.FrameHeaderLength..]));
        await raw.ReadUntilAsync(FrameType.Welcome);
        return raw;
    }

    public async Task ExchangePreambleAsync(byte[]? preamble = null)
    {
        if (preamble is null) Preamble.WriteClient(_clientPreamble);
        else preamble.CopyTo(_clientPreamble, 0);
        await _stream.WriteAsync(preamble ?? _clientPreamble);
        await _stream.ReadExactlyAsync(ServerPreamble);
    }

    /// <summary>Preamble and handshake through the Protocol's initiator driver (one write for preamble and message 1).</summary>
    public async Task HandshakeAsync(string user, byte[] key)
    {
        using var driver = HandshakeDriver.CreateInitiator(key, new ClientHello(user, "raw-test").Encode());
        await HandshakeIo.RunInitiatorAsync(driver, _stream);
        _noise = driver.Split();
    }

    public Task WriteRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    public async Task WriteRawMessageAsync(byte[] message)
    {
        var framed = new byte[2 + message.Length];
        RecordFraming.WriteLength(framed, message.Length);
        message.CopyTo(framed, 2);
        await _stream.WriteAsync(framed);
    }

    /// <summary>Encrypts one record holding <paramref name="plaintext"/> (frames back to back).</summary>
    public Task WriteRecordAsync(byte[] plaintext) => WriteRawMessageAsync(Seal(plaintext));

    /// <summary>The ciphertext of one record (without its length prefix).</summary>
    public byte[] Seal(byte[] plaintext)
    {
        var sealedRecord = new byte[plaintext.Length + NoiseConstants.TagLength];
        _noise.Encrypt(plaintext, sealedRecord);
        return sealedRecord;
    }

    public async Task<byte[]> ReadRawMessageAsync()
    {
        var prefix = new byte[2];
        await _stream.ReadExactlyAsync(prefix).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var message = new byte[(prefix[0] << 8) | prefix[1]];
        await _stream.ReadExactlyAsync(message).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return message;
    }

    /// <summary>Reads and decrypts the next record and splits its frames.</summary>
    public async Task<List<(byte Type, byte[] Body)>> ReadFramesAsync()
    {
        var record = await ReadRawMessageAsync();
        var plain = new byte[record.Length - 16];
        if (_noise.Decrypt(record, plain) < 0) throw new InvalidOperationException("server record failed to decrypt");
        var frames = new List<(byte, byte[])>();
        var reader = new FrameReader(plain);
        while (reader.TryRead(out var frame, out _)) frames.Add((frame.Type, frame.Body.ToArray()));
        return frames;
    }

    /// <summary>Reads frames until one of <paramref name="type"/> arrives; returns it.</summary>
    public async Task<byte[]> ReadUntilAsync(FrameType type, List<(byte Type, byte[] Body)>? seen = null)
    {
        while (true)
        {
            foreach (var frame in await ReadFramesAsync())
            {
                seen?.Add(frame);
                if (frame.Type == (byte)type) return frame.Body;
            }
        }
    }

    /// <summary>Reads until the server closes; returns the DISCONNECT it sent, if any (and every frame, in order, into <paramref name="seen"/>).</summary>
    public async Task<DisconnectBody?> ReadUntilClosedAsync(List<(byte Type, byte[] Body)>? seen = null)
    {
        DisconnectBody? disconnect = null;
        try
        {
            while (true)
                foreach (var (type, body) in await ReadFramesAsync())
                {
                    seen?.Add((type, body));
                    if (type == (byte)FrameType.Disconnect && DisconnectBody.TryParse(body, out var d)) disconnect = d;
                }
        }
        catch (EndOfStreamException) { }
        catch (IOException) { }
        return disconnect;
    }

    /// <summary>True once the server has closed its side (read returns 0).</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan timeout)
    {
        var buffer = new byte[65536];
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                var read = _stream.ReadAsync(buffer).AsTask();
                if (await Task.WhenAny(read, Task.Delay(deadline - DateTime.UtcNow)) != read) return false;
                if (await read == 0) return true;
            }
        }
        catch (IOException) { return true; }
        return false;
    }

    public static byte[] Frame(FrameType type, byte[] body)
    {
        var frame = new byte[4 + body.Length];
        FrameHeader.Write(frame, type, body.Length);
        body.CopyTo(frame, 4);
        return frame;
    }

    public ValueTask DisposeAsync()
    {
        _noise.Clear();
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
