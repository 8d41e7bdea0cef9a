namespace FastChat.Server.Groups;

/// <summary>Group limits (Hosting maps them from FastChat:MaxGroupMembers).</summary>
internal sealed class GroupOptions
{
    public int MaxMembers { get; init; } = Protocol.Wire.ProtocolLimits.MaxGroupMembers;
}
