using System.Text;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using Routing = FastChat.Server.Routing;

namespace FastChat.Server.Connections;

/// <summary>
/// GROUP_CHANGE and GROUP_QUERY (protocol-spec/14-groups.md), answered at the group's home. A
/// change is announced to every member's account (and to those it removed) as a DELIVER of kind
/// group_change through the router, so each member's home hands it to all of their devices.
/// </summary>
internal sealed partial class ClientConnection
{
    private bool QueueGroupChange(ReadOnlySpan<byte> body)
    {
        if (!GroupChangeBody.TryParse(body, out var change)) return Malformed("GROUP_CHANGE");
        _pendingRequest = () => ChangeGroupAsync(change);
        return true;
    }

    private async Task ChangeGroupAsync(GroupChangeBody change)
    {
        if (!IsGroupHome(change.GroupId))
        {
            TryWrite(ControlFrames.Encode(new GroupResultBody(change.RequestId, GroupStatusCode.Unavailable, 0, NotHomeMessage)));
            return;
        }
        var outcome = await _server.Groups.ChangeAsync(UserName, change).ConfigureAwait(false);
        if (outcome.Event is { } happened) Announce(happened, outcome.Notify);
        TryWrite(ControlFrames.Encode(outcome.Result));
    }

    /// <summary>One ciphertext for the whole group, to its home, which fans it out (acknowledged like a SEND once the home has it).</summary>
    private bool HandleGroupSend(ReadOnlySpan<byte> body)
    {
        if (!GroupSendFrames.TryParse(body, out ulong messageId, out var groupMessage)) return Malformed("GROUP_SEND");
        if (messageId <= _ledger.HighWater) return Retried(messageId);
        if (groupMessage.Length - GroupAddress.IdLength > _server.Options.MaxPayloadBytes) return Refuse(ErrorCode.PayloadTooLarge, messageId);
        Span<byte> group = stackalloc byte[GroupAddress.Length];
        GroupAddress.Write(group, groupMessage[..GroupAddress.IdLength]);
        var request = new Routing.RouteRequest(group, DeliveryKind.GroupMessage, messageId, _addressBytes, Address, groupMessage);
        return Routed(_server.Router.Route(request, this, messageId), messageId);
    }

    private bool HandleGroupQuery(ReadOnlySpan<byte> body)
    {
        if (!GroupQueryBody.TryParse(body, out var query)) return Malformed("GROUP_QUERY");
        GroupStateBody Answer(GroupStatusCode status, GroupEvent? group = null) =>
            new(query.RequestId, status, query.GroupId, group?.Version ?? 0, group?.Name ?? "", group?.Members ?? []);
        if (!IsGroupHome(query.GroupId)) return TryWrite(ControlFrames.Encode(Answer(GroupStatusCode.Unavailable)));
        var group = _server.Groups.Read(query.GroupId);
        if (group is null) return TryWrite(ControlFrames.Encode(Answer(GroupStatusCode.NotFound)));
        if (group.Members.All(m => m.User != UserName)) return TryWrite(ControlFrames.Encode(Answer(GroupStatusCode.NotMember)));
        return TryWrite(ControlFrames.Encode(Answer(GroupStatusCode.Done, group)));
    }

    // This step serves groups at their home only; a client of another node is told so (across the mesh comes next).
    private const string NotHomeMessage = "this group is homed on another server of the cluster; groups across servers come in a later version";

    private bool IsGroupHome(byte[] groupId) => _server.Locator.Locate(GroupAddress.BytesOf(groupId)).IsLocal;

    private void Announce(GroupEvent happened, IReadOnlyList<string> notify)
    {
        var payload = happened.Encode();
        Span<byte> user = stackalloc byte[FastChat.Protocol.Wire.UserName.MaxLength];
        foreach (var member in notify)
        {
            int n = Encoding.ASCII.GetBytes(member, user);
            _server.Router.Route(new Routing.RouteRequest(user[..n], DeliveryKind.GroupChange, happened.Version, _addressBytes, Address, payload), null, 0);
        }
    }
}
