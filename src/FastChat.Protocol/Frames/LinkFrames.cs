using FastChat.Protocol.Wire;
using MessagePack;

namespace FastChat.Protocol.Frames;

/// <summary>A device waiting to be linked, as the primary sees it: the keys its link code is made of.</summary>
public sealed record LinkRequest(byte[] NoiseKey, byte[] IdentityKey, long RequestedMs);

/// <summary>LINK_QUERY (primary → server): which devices are waiting to be linked to my account?</summary>
public sealed record LinkQueryBody(ulong RequestId) : IControlBody
{
    public FrameType Type => FrameType.LinkQuery;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(1); w.Write(RequestId); }

    public static bool TryParse(ReadOnlySpan<byte> body, out LinkQueryBody value) =>
        ControlFrames.TryParse(body, 1, out value, (ref MessagePackReader r) => new LinkQueryBody(r.ReadUInt64()));
}

/// <summary>LINK_REQUESTS (server → primary): the answer to LINK_QUERY, oldest first.</summary>
public sealed record LinkRequestsBody(ulong RequestId, IReadOnlyList<LinkRequest> Requests) : IControlBody
{
    public FrameType Type => FrameType.LinkRequests;

    public void Write(ref MessagePackWriter w)
    {
        w.WriteArrayHeader(2);
        w.Write(RequestId);
        w.WriteArrayHeader(Requests.Count);
        foreach (var request in Requests)
        {
            w.WriteArrayHeader(3);
            w.Write(request.NoiseKey); w.Write(request.IdentityKey); w.Write(request.RequestedMs);
        }
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out LinkRequestsBody value) =>
        ControlFrames.TryParse(body, 2, out value, (ref MessagePackReader r) =>
        {
            ulong id = r.ReadUInt64();
            int count = r.ReadArrayHeader();
            if (count > ProtocolLimits.MaxDevicesPerUser) throw new MessagePackSerializationException("too many link requests");
            var requests = new LinkRequest[count];
            for (int i = 0; i < count; i++)
            {
                if (r.ReadArrayHeader() != 3) throw new MessagePackSerializationException("link request: 3 fields");
                requests[i] = new LinkRequest(PrekeyWire.ReadBytes(ref r, DeviceEntry.NoiseKeyLength), PrekeyWire.ReadBytes(ref r, PrekeyWire.KeyLength), r.ReadInt64());
            }
            return new LinkRequestsBody(id, requests);
        });
}

/// <summary>
/// LINK_DONE (server → waiting device): the primary published a list naming this device as
/// <paramref name="DeviceId"/> in <paramref name="Generation"/>. DISCONNECT follows; the device
/// signs in again as itself.
/// </summary>
public sealed record LinkDoneBody(byte DeviceId, ulong Generation) : IControlBody
{
    public FrameType Type => FrameType.LinkDone;
    public void Write(ref MessagePackWriter w) { w.WriteArrayHeader(2); w.Write(DeviceId); w.Write(Generation); }

    public static bool TryParse(ReadOnlySpan<byte> body, out LinkDoneBody value) =>
        ControlFrames.TryParse(body, 2, out value, (ref MessagePackReader r) => new LinkDoneBody(r.ReadByte(), r.ReadUInt64()));
}
