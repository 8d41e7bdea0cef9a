using FastChat.Protocol.Wire;
using MessagePack;

namespace FastChat.Protocol.Frames;

/// <summary>Who may see an account's online state and last seen (protocol-spec/15-presence.md).</summary>
public enum PresenceVisibility : byte
{
    Everyone = 0,
    /// <summary>Only the accounts on the user's own contact list (which its client publishes).</summary>
    Contacts = 1,
    Nobody = 2,
}

/// <summary>What a PRESENCE frame says about its user.</summary>
public enum PresenceState : byte
{
    Offline = 0,
    Online = 1,
    /// <summary>The user does not share presence with this watcher (or there is no such user: the two look alike).</summary>
    Hidden = 2,
}

public enum PresenceStatusCode
{
    Done = 0,
    TooMany = 1,
    RateLimited = 2,
    Unavailable = 3,
}

/// <summary>PRESENCE_SUBSCRIBE (client → server): <c>[request_id, users [str]]</c> — the whole set this connection watches from now on.</summary>
public sealed record PresenceSubscribeBody(ulong RequestId, IReadOnlyList<string> Users) : IControlBody
{
    public FrameType Type => FrameType.PresenceSubscribe;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(2); w.Write(RequestId); GroupWire.WriteUsers(ref w, Users); }

    public static bool TryParse(ReadOnlySpan<byte> body, out PresenceSubscribeBody value) =>
        ControlFrames.TryParse(body, 2, out value, (ref MessagePackReader r) => new PresenceSubscribeBody(r.ReadUInt64(), GroupWire.ReadUsers(ref r)));
}

/// <summary>PRESENCE_SETTINGS (client → server): <c>[request_id, visibility, contacts [str]]</c> — who may see this account's presence.</summary>
public sealed record PresenceSettingsBody(ulong RequestId, PresenceVisibility Visibility, IReadOnlyList<string> Contacts) : IControlBody
{
    public FrameType Type => FrameType.PresenceSettings;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(3); w.Write(RequestId); w.Write((byte)Visibility); GroupWire.WriteUsers(ref w, Contacts); }

    public static bool TryParse(ReadOnlySpan<byte> body, out PresenceSettingsBody value) =>
        ControlFrames.TryParse(body, 3, out value, (ref MessagePackReader r) =>
        {
            ulong id = r.ReadUInt64();
            byte visibility = r.ReadByte();
            if (visibility > (byte)PresenceVisibility.Nobody) throw new MessagePackSerializationException("unknown visibility");
            return new PresenceSettingsBody(id, (PresenceVisibility)visibility, GroupWire.ReadUsers(ref r));
        });
}

/// <summary>PRESENCE_RESULT (server → client): <c>[request_id, status, message]</c>, the answer to either request.</summary>
public sealed record PresenceResultBody(ulong RequestId, PresenceStatusCode Status, string Message) : IControlBody
{
    public FrameType Type => FrameType.PresenceResult;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(3); w.Write(RequestId); w.Write((int)Status); w.Write(Message); }

    public static bool TryParse(ReadOnlySpan<byte> body, out PresenceResultBody value) =>
        ControlFrames.TryParse(body, 3, out value, (ref MessagePackReader r) => new PresenceResultBody(r.ReadUInt64(), (PresenceStatusCode)r.ReadInt32(), r.ReadString() ?? ""));
}

/// <summary>
/// PRESENCE (server → client): <c>[user, state, last_seen_ms]</c>. last_seen_ms is when the
/// user's last session ended (Unix ms) while offline and shared, else 0 (never seen, online or hidden).
/// </summary>
public sealed record PresenceBody(string User, PresenceState State, long LastSeenMs) : IControlBody
{
    public FrameType Type => FrameType.Presence;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(3); w.Write(User); w.Write((byte)State); w.Write(LastSeenMs); }

    /// <summary>The bare body: what the subject's home routes to each watcher's home, which frames it.</summary>
    public byte[] EncodeBody() => ControlFrames.EncodeBody((ref MessagePackWriter w) => Write(ref w));

    public static bool TryParse(ReadOnlySpan<byte> body, out PresenceBody value) =>
        ControlFrames.TryParse(body, 3, out value, (ref MessagePackReader r) =>
        {
            string user = r.ReadString() is { } name && UserName.IsValid(name) ? name : throw new MessagePackSerializationException("not a user name");
            byte state = r.ReadByte();
            if (state > (byte)PresenceState.Hidden) throw new MessagePackSerializationException("unknown presence state");
            return new PresenceBody(user, (PresenceState)state, r.ReadInt64());
        });
}

/// <summary>
/// TYPING (client → server) and TYPING_NOTICE (server → client), hand-laid: they are frequent and
/// never stored. TYPING: <c>to_len u8 | to | state u8</c>, to an account or a group (#hex).
/// TYPING_NOTICE: <c>from_len u8 | from | context_len u8 | context | state u8</c>: the typing
/// device, and the account or group it types to. State 1 = typing, 0 = stopped.
/// </summary>
public static class TypingFrames
{
    private const int H = ProtocolLimits.FrameHeaderLength;
    public const int MaxNoticeLength = H + 1 + DeviceAddress.MaxLength + 1 + GroupAddress.Length + 1;

    public static int WriteTyping(Span<byte> destination, ReadOnlySpan<byte> to, bool typing)
    {
        int body = 1 + to.Length + 1;
        FrameHeader.Write(destination, FrameType.Typing, body);
        var b = destination[H..];
        b[0] = checked((byte)to.Length);
        to.CopyTo(b[1..]);
        b[1 + to.Length] = typing ? (byte)1 : (byte)0;
        return H + body;
    }

    public static bool TryParseTyping(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> to, out bool typing)
    {
        to = default;
        typing = false;
        if (body.Length < 2 || body.Length != 1 + body[0] + 1 || body[^1] > 1) return false;
        to = body.Slice(1, body[0]);
        typing = body[^1] == 1;
        return UserName.IsValid(to) || GroupAddress.IsGroup(to);
    }

    public static int WriteNotice(Span<byte> destination, ReadOnlySpan<byte> from, ReadOnlySpan<byte> context, bool typing)
    {
        int body = 1 + from.Length + 1 + context.Length + 1;
        FrameHeader.Write(destination, FrameType.TypingNotice, body);
        var b = destination[H..];
        b[0] = checked((byte)from.Length);
        from.CopyTo(b[1..]);
        int at = 1 + from.Length;
        b[at] = checked((byte)context.Length);
        context.CopyTo(b[(at + 1)..]);
        b[at + 1 + context.Length] = typing ? (byte)1 : (byte)0;
        return H + body;
    }

    public static bool TryParseNotice(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> from, out ReadOnlySpan<byte> context, out bool typing)
    {
        from = default; context = default; typing = false;
        if (body.Length < 3 || body.Length < 1 + body[0] + 2) return false;
        from = body.Slice(1, body[0]);
        int at = 1 + from.Length;
        if (body.Length != at + 1 + body[at] + 1 || body[^1] > 1) return false;
        context = body.Slice(at + 1, body[at]);
        typing = body[^1] == 1;
        return DeviceAddress.TryParse(from, out _, out _) && (UserName.IsValid(context) || GroupAddress.IsGroup(context));
    }

    /// <summary>The payload of a routed typing entry: <c>state u8 | context</c>.</summary>
    public static int WriteEntry(Span<byte> destination, ReadOnlySpan<byte> context, bool typing)
    {
        destination[0] = typing ? (byte)1 : (byte)0;
        context.CopyTo(destination[1..]);
        return 1 + context.Length;
    }

    public static bool TryReadEntry(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> context, out bool typing)
    {
        context = payload.Length > 1 ? payload[1..] : default;
        typing = payload.Length > 0 && payload[0] == 1;
        return payload.Length > 1 && payload[0] <= 1 && (UserName.IsValid(context) || GroupAddress.IsGroup(context));
    }
}
