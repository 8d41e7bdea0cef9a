using System.Buffers;
using FastChat.Protocol.Wire;
using MessagePack;

namespace FastChat.Protocol.Frames;

/// <summary>
/// Control bodies are MessagePack arrays with fields by position. Readers accept longer arrays
/// (later versions append fields) and reject shorter ones. Rare frames, so these allocate.
/// </summary>
public interface IControlBody
{
    FrameType Type { get; }
    void Write(ref MessagePackWriter writer);
}

public enum WelcomeState
{
    Authenticated = 1,
    RegistrationRequired = 2,
    /// <summary>A device asking to be linked: waiting for the primary to approve it (LINK_DONE follows).</summary>
    LinkPending = 3,
}

public enum RegisterStatus
{
    Registered = 0,
    CodeSent = 1,
    BadCode = 2,
    NameTaken = 3,
    Closed = 4,
}

/// <summary>Handshake message 2 payload (server → client).</summary>
public sealed record ServerHello(int Version, string ServerName, int MaxRecordPlaintext, int MaxPayload, int KeepaliveSeconds)
{
    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(5);
        w.Write(Version); w.Write(ServerName); w.Write(MaxRecordPlaintext); w.Write(MaxPayload); w.Write(KeepaliveSeconds);
    }

    /// <summary>The handshake payload bytes.</summary>
    public byte[] Encode()
    {
        var self = this;
        return ControlFrames.EncodeBody((ref MessagePackWriter w) => self.Write(ref w));
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out ServerHello value) =>
        ControlFrames.TryParse(body, 5, out value, (ref MessagePackReader r) =>
            new ServerHello(r.ReadInt32(), r.ReadString() ?? "", r.ReadInt32(), r.ReadInt32(), r.ReadInt32()));
}

/// <summary>
/// Handshake message 3 payload (client → server): who the client claims to be. A device not yet
/// linked to the account sends its Signal identity key as <paramref name="LinkIdentityKey"/>
/// (optional third field): the server then holds the connection as a link request
/// (protocol-spec/13-devices.md) instead of refusing its unknown Noise key.
/// </summary>
public sealed record ClientHello(string UserName, string ClientSoftware, byte[]? LinkIdentityKey = null)
{
    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(LinkIdentityKey is null ? 2 : 3);
        w.Write(UserName); w.Write(ClientSoftware);
        if (LinkIdentityKey is not null) w.Write(LinkIdentityKey);
    }

    /// <summary>The handshake payload bytes.</summary>
    public byte[] Encode()
    {
        var self = this;
        return ControlFrames.EncodeBody((ref MessagePackWriter w) => self.Write(ref w));
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out ClientHello value) =>
        ControlFrames.TryParse(body, 2, 3, out value, (ref MessagePackReader r, int fields) =>
            new ClientHello(r.ReadString() ?? "", r.ReadString() ?? "", fields > 2 ? PrekeyWire.ReadBytes(ref r, PrekeyWire.KeyLength) : null));
}

public sealed record DisconnectBody(ErrorCode Code, string Reason) : IControlBody
{
    public FrameType Type => FrameType.Disconnect;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(2); w.Write((int)Code); w.Write(Reason); }

    public static bool TryParse(ReadOnlySpan<byte> body, out DisconnectBody value) =>
        ControlFrames.TryParse(body, 2, out value, (ref MessagePackReader r) => new DisconnectBody((ErrorCode)r.ReadInt32(), r.ReadString() ?? ""));
}

/// <summary>A non-fatal error about one request (RefId = the message id it refers to, or 0).</summary>
public sealed record ErrorBody(ErrorCode Code, ulong RefId, string Message) : IControlBody
{
    public FrameType Type => FrameType.Error;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(3); w.Write((int)Code); w.Write(RefId); w.Write(Message); }

    public static bool TryParse(ReadOnlySpan<byte> body, out ErrorBody value) =>
        ControlFrames.TryParse(body, 3, out value, (ref MessagePackReader r) => new ErrorBody((ErrorCode)r.ReadInt32(), r.ReadUInt64(), r.ReadString() ?? ""));
}

/// <summary>WELCOME; <paramref name="DeviceId"/> (optional fifth field, 1 when absent) is the signed-in device.</summary>
public sealed record WelcomeBody(WelcomeState State, string UserName, long ServerTimeMs, long Queued, byte DeviceId = DeviceAddress.Primary) : IControlBody
{
    public FrameType Type => FrameType.Welcome;
    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(DeviceId == DeviceAddress.Primary ? 4 : 5);
        w.Write((int)State); w.Write(UserName); w.Write(ServerTimeMs); w.Write(Queued);
        if (DeviceId != DeviceAddress.Primary) w.Write(DeviceId);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out WelcomeBody value) =>
        ControlFrames.TryParse(body, 4, 5, out value, (ref MessagePackReader r, int fields) =>
            new WelcomeBody((WelcomeState)r.ReadInt32(), r.ReadString() ?? "", r.ReadInt64(), r.ReadInt64(), fields > 4 ? r.ReadByte() : DeviceAddress.Primary));
}

/// <summary>
/// Code null asks the server to send a verification code; otherwise it is the code. RequestId
/// (optional trailing field, 0 = none) is echoed by the REGISTER_RESULT that answers it.
/// </summary>
/// <summary>
/// REDIRECT: this node is not the user's home; connect to <paramref name="Host"/>:<paramref name="Port"/>
/// instead, expecting its static key <paramref name="ServerKey"/> (this authenticated server vouches
/// for it, so a client that pinned this server can pin the next). Always followed by DISCONNECT
/// <c>redirect</c>. <paramref name="Epoch"/> is the cluster view it was decided under (informative).
/// </summary>
public sealed record RedirectBody(string Host, int Port, long Epoch, byte[] ServerKey) : IControlBody
{
    public FrameType Type => FrameType.Redirect;
    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(4);
        w.Write(Host);
        w.Write(Port);
        w.Write(Epoch);
        w.Write(ServerKey);
    }
    public static bool TryParse(ReadOnlySpan<byte> body, out RedirectBody value) =>
        ControlFrames.TryParse(body, 4, out value, (ref MessagePackReader r) =>
            new RedirectBody(r.ReadString() ?? "", r.ReadInt32(), r.ReadInt64(), r.ReadBytes()?.ToArray() ?? []));
}

public sealed record RegisterBody(string? Code, ulong RequestId = 0) : IControlBody
{
    public FrameType Type => FrameType.Register;
    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(RequestId == 0 ? 1 : 2);
        if (Code is null) w.WriteNil(); else w.Write(Code);
        if (RequestId != 0) w.Write(RequestId);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out RegisterBody value) =>
        ControlFrames.TryParse(body, 1, 2, out value, (ref MessagePackReader r, int fields) =>
            new RegisterBody(r.TryReadNil() ? null : r.ReadString(), fields > 1 ? r.ReadUInt64() : 0));
}

public sealed record RegisterResultBody(RegisterStatus Status, string Message, ulong RequestId = 0) : IControlBody
{
    public FrameType Type => FrameType.RegisterResult;
    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(RequestId == 0 ? 2 : 3);
        w.Write((int)Status); w.Write(Message);
        if (RequestId != 0) w.Write(RequestId);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out RegisterResultBody value) =>
        ControlFrames.TryParse(body, 2, 3, out value, (ref MessagePackReader r, int fields) =>
            new RegisterResultBody((RegisterStatus)r.ReadInt32(), r.ReadString() ?? "", fields > 2 ? r.ReadUInt64() : 0));
}

public static class ControlFrames
{
    public delegate T FieldReader<T>(ref MessagePackReader reader);

    /// <summary>Encodes a whole control frame (header + MessagePack body).</summary>
    public static byte[] Encode(IControlBody body)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        body.Write(ref writer);
        writer.Flush();
        var frame = new byte[ProtocolLimits.FrameHeaderLength + buffer.WrittenCount];
        FrameHeader.Write(frame, body.Type, buffer.WrittenCount);
        buffer.WrittenSpan.CopyTo(frame.AsSpan(ProtocolLimits.FrameHeaderLength));
        return frame;
    }

    public delegate void BodyWriter(ref MessagePackWriter writer);

    /// <summary>Encodes a bare MessagePack body (handshake payloads).</summary>
    public static byte[] EncodeBody(BodyWriter write)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public delegate T OptionalFieldReader<T>(ref MessagePackReader reader, int fields);

    /// <summary>
    /// Parses a body of at least <paramref name="minFields"/> fields, of which this version knows
    /// up to <paramref name="knownFields"/> (the rest optional): <paramref name="read"/> is told how
    /// many of the known ones are present; fields beyond them are skipped.
    /// </summary>
    internal static bool TryParse<T>(ReadOnlySpan<byte> body, int minFields, int knownFields, out T value, OptionalFieldReader<T> read) where T : class
    {
        value = null!;
        try
        {
            var reader = new MessagePackReader(body.ToArray());
            int count = reader.ReadArrayHeader();
            if (count < minFields) return false;
            int known = Math.Min(count, knownFields);
            value = read(ref reader, known);
            for (int i = known; i < count; i++) reader.Skip();
            return reader.End;
        }
        catch (MessagePackSerializationException) { return false; }
        catch (EndOfStreamException) { return false; }
        catch (OverflowException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    internal static bool TryParse<T>(ReadOnlySpan<byte> body, int minFields, out T value, FieldReader<T> read) where T : class =>
        TryParse(body, minFields, minFields, out value, (ref MessagePackReader r, int _) => read(ref r));
}
