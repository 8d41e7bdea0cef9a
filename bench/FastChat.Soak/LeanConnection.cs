using System.Net;
using System.Net.Sockets;
using FastChat.Protocol.Crypto;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Handshake;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;

namespace FastChat.Soak;

/// <summary>
/// A minimal authenticated connection for load generation: preamble, Noise XX, open
/// registration, then it holds the socket. No SDK, no background loops, small buffers, so the
/// harness can hold thousands per process.
/// </summary>
internal sealed class LeanConnection : IDisposable
{
    public Socket Socket { get; }
    public NoiseTransport Transport { get; private set; } = new();

    /// <summary>Frames that followed WELCOME in its record (a backlog starts right behind it).</summary>
    public byte[] Leftover { get; private set; } = [];

    private const int IpProtocolIp = 0, IpBindAddressNoPort = 24; // IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT (Linux ≥ 4.2)

    private LeanConnection(Socket socket) => Socket = socket;

    public static async Task<LeanConnection> OpenAsync(IPEndPoint server, IPAddress source, string user, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = new LeanConnection(socket);
        try
        {
            // Pick the port at connect, not at bind: the kernel can then reuse a port per
            // destination (4-tuple) instead of skipping every port still in TIME_WAIT from the
            // previous run, which stalls back-to-back storms.
            if (OperatingSystem.IsLinux()) socket.SetRawSocketOption(IpProtocolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(server, ct);
            await connection.HandshakeAsync(user, ct);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private async Task HandshakeAsync(string user, CancellationToken ct)
    {
        // A key derived from the name: the same user logs in again on a later run.
        var hash = new byte[64];
        Sodium.Blake2b("fastchat-soak|"u8, System.Text.Encoding.ASCII.GetBytes(user), default, hash);
        using (var driver = HandshakeDriver.CreateInitiator(hash.AsSpan(0, 32), new ClientHello(user, "fastchat-soak/1").Encode()))
        await using (var stream = new NetworkStream(Socket, ownsSocket: false))
        {
            await HandshakeIo.RunInitiatorAsync(driver, stream, ct);
            Transport = driver.Split();
        }
        Sodium.Zero(hash);

        // WELCOME (registration required on a fresh server) → REGISTER → WELCOME authenticated.
        var first = await ReceiveRecordAsync(ct);
        if (first[0] != (byte)FrameType.Welcome) throw new InvalidOperationException($"expected WELCOME, got 0x{first[0]:x2}");
        int afterWelcome = EndOfFrame(first, FrameType.Welcome, out var welcome);
        if (welcome is null) throw new InvalidOperationException("bad WELCOME");
        if (welcome.State == WelcomeState.Authenticated)
        {
            Leftover = first[afterWelcome..];
            return;
        }
        await SendRecordAsync(ControlFrames.Encode(new RegisterBody(null)), ct);
        while (true)
        {
            var record = await ReceiveRecordAsync(ct);
            if (EndOfFrame(record, FrameType.Disconnect, out _) >= 0) throw new InvalidOperationException("registration refused");
            afterWelcome = EndOfFrame(record, FrameType.Welcome, out _);
            if (afterWelcome < 0) continue;
            Leftover = record[afterWelcome..];
            return;
        }
    }

    /// <summary>Offset just past the first frame of <paramref name="type"/> in a record, or -1; its WELCOME body if it is one.</summary>
    private static int EndOfFrame(byte[] record, FrameType type, out WelcomeBody? welcome)
    {
        welcome = null;
        var reader = new FrameReader(record);
        int end = 0;
        while (reader.TryRead(out var frame, out _))
        {
            end += ProtocolLimits.FrameHeaderLength + frame.Body.Length;
            if (frame.Type != (byte)type) continue;
            if (type == FrameType.Welcome && WelcomeBody.TryParse(frame.Body, out var body)) welcome = body;
            return end;
        }
        return -1;
    }

    public async Task SendRecordAsync(byte[] plaintext, CancellationToken ct)
    {
        var sealedRecord = new byte[RecordWriter.RecordOverhead + plaintext.Length];
        RecordWriter.SealOne(Transport, plaintext, sealedRecord);
        await Socket.SendAsync(sealedRecord, ct);
    }

    private async Task<byte[]> ReceiveRecordAsync(CancellationToken ct)
    {
        var record = await ReceiveMessageAsync(ct);
        var plain = new byte[record.Length - 16];
        if (Transport.Decrypt(record, plain) < 0) throw new InvalidOperationException("record failed to decrypt");
        return plain;
    }

    private async Task<byte[]> ReceiveMessageAsync(CancellationToken ct)
    {
        var prefix = new byte[2];
        await ReceiveExactlyAsync(prefix, ct);
        var message = new byte[(prefix[0] << 8) | prefix[1]];
        await ReceiveExactlyAsync(message, ct);
        return message;
    }

    private async Task ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (buffer.Length > 0)
        {
            int n = await Socket.ReceiveAsync(buffer, ct);
            if (n == 0) throw new EndOfStreamException("server closed the connection");
            buffer = buffer[n..];
        }
    }

    public void Dispose()
    {
        Transport.Clear();
        Socket.Dispose();
    }
}
