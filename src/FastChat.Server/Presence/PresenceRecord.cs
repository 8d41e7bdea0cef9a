using FastChat.Protocol.Frames;
using MessagePack;

namespace FastChat.Server.Presence;

/// <summary>
/// What the store keeps of a user's presence (<c>L|user</c>): the visibility they chose (null:
/// the server's default), their contact list, and when their last session ended (Unix ms, 0 never).
/// </summary>
internal sealed record PresenceRecord(PresenceVisibility? Visibility, IReadOnlyList<string> Contacts, long LastSeenMs)
{
    public static readonly PresenceRecord Empty = new(null, [], 0);

    public byte[] Encode() => ControlFrames.EncodeBody((ref MessagePackWriter w) =>
    {
        w.WriteArrayHeader(3);
        if (Visibility is { } v) w.Write((byte)v); else w.WriteNil();
        w.WriteArrayHeader(Contacts.Count);
        foreach (var contact in Contacts) w.Write(contact);
        w.Write(LastSeenMs);
    });

    public static PresenceRecord Decode(byte[] value)
    {
        var r = new MessagePackReader(value);
        if (r.ReadArrayHeader() != 3) throw new InvalidDataException("presence record: 3 fields");
        PresenceVisibility? visibility = r.TryReadNil() ? null : (PresenceVisibility)r.ReadByte();
        var contacts = new string[r.ReadArrayHeader()];
        for (int i = 0; i < contacts.Length; i++) contacts[i] = r.ReadString() ?? throw new InvalidDataException("presence record: contact");
        return new PresenceRecord(visibility, contacts, r.ReadInt64());
    }
}
