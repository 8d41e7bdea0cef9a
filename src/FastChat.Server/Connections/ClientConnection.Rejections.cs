using System.Buffers.Binary;
using FastChat.Protocol.Wire;
using FastChat.Server.Storage;

namespace FastChat.Server.Connections;

/// <summary>
/// The most recent refused message ids of this user (durable as <c>R|user</c>). A retry of an id
/// at or below the high-water mark is normally acknowledged again; if that id was refused, the
/// client gets the same ERROR instead, so a cumulative SERVER_ACK never covers a message that was
/// never queued (for example when the connection dropped before the client saw the ERROR).
/// Only the last <see cref="Remembered"/> refusals are kept.
/// </summary>
internal sealed partial class ClientConnection
{
    private const int Remembered = 16;
    private const int EntryLength = 10; // id u64 | code u16
    private byte[]? _rejections;        // loaded lazily; an idle connection holds none

    private bool TryGetRejection(ulong messageId, out ErrorCode code)
    {
        code = ErrorCode.None;
        var list = LoadRejections();
        for (int i = 0; i + EntryLength <= list.Length; i += EntryLength)
        {
            if (BinaryPrimitives.ReadUInt64BigEndian(list.AsSpan(i)) != messageId) continue;
            code = (ErrorCode)BinaryPrimitives.ReadUInt16BigEndian(list.AsSpan(i + 8));
            return code != ErrorCode.None;
        }
        return false;
    }

    /// <summary>Remembers a refusal durably (refusals are rare; one small write each).</summary>
    private void RememberRejection(ulong messageId, ErrorCode code)
    {
        var old = LoadRejections();
        int keep = Math.Min(old.Length, (Remembered - 1) * EntryLength);
        var list = new byte[keep + EntryLength];
        old.AsSpan(old.Length - keep).CopyTo(list);
        BinaryPrimitives.WriteUInt64BigEndian(list.AsSpan(keep), messageId);
        BinaryPrimitives.WriteUInt16BigEndian(list.AsSpan(keep + 8), (ushort)code);
        _rejections = list;
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        _server.Store.Upsert(key[..StoreKeys.RejectedKey(key, _userBytes)], list);
    }

    /// <summary>A refused id retried later and accepted: drop the stale refusal.</summary>
    private void ForgetRejection(ulong messageId)
    {
        var list = LoadRejections();
        for (int i = 0; i + EntryLength <= list.Length; i += EntryLength)
        {
            if (BinaryPrimitives.ReadUInt64BigEndian(list.AsSpan(i)) != messageId) continue;
            var shorter = new byte[list.Length - EntryLength];
            list.AsSpan(0, i).CopyTo(shorter);
            list.AsSpan(i + EntryLength).CopyTo(shorter.AsSpan(i));
            _rejections = shorter;
            Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
            _server.Store.Upsert(key[..StoreKeys.RejectedKey(key, _userBytes)], shorter);
            return;
        }
    }

    /// <summary>Whether this user has any remembered refusal (one store read per connection, then cached).</summary>
    private bool LoadRejectionsIfAny() => LoadRejections().Length > 0;

    private byte[] LoadRejections()
    {
        if (_rejections is not null) return _rejections;
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        return _rejections = _server.Store.Read(key[..StoreKeys.RejectedKey(key, _userBytes)]) ?? [];
    }
}
