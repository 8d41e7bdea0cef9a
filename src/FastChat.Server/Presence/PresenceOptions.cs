using FastChat.Protocol.Frames;

namespace FastChat.Server.Presence;

/// <summary>The "FastChat:Presence" settings (protocol-spec/15-presence.md).</summary>
public sealed class PresenceOptions
{
    /// <summary>Accounts one connection may watch at once (at most 1024).</summary>
    public int MaxSubscriptions { get; set; } = 256;
    /// <summary>Accounts a user's contact list may hold (at most 1024).</summary>
    public int MaxContacts { get; set; } = 1024;
    /// <summary>Changes of one user are pushed at most once per window, and a flap inside it not at all.</summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>A watch not renewed within this long is forgotten by the subject's home (a watcher's home renews at half of it).</summary>
    public TimeSpan SubscriptionLifetime { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>Who sees a user who never chose: WhatsApp's historical default, everyone.</summary>
    public PresenceVisibility DefaultVisibility { get; set; } = PresenceVisibility.Everyone;
    /// <summary>TYPING frames a connection may send per second, and the burst; the rest are dropped.</summary>
    public int TypingPerSecond { get; set; } = 2;
    public int TypingBurst { get; set; } = 5;
    /// <summary>PRESENCE_SUBSCRIBE and PRESENCE_SETTINGS requests per connection per minute, and the burst.</summary>
    public int RequestsPerMinute { get; set; } = 30;
    public int RequestBurst { get; set; } = 10;

    public void Validate()
    {
        if (MaxSubscriptions is < 1 or > Protocol.Wire.ProtocolLimits.MaxGroupMembers || MaxContacts is < 1 or > Protocol.Wire.ProtocolLimits.MaxGroupMembers)
            throw new ArgumentException($"FastChat:Presence:MaxSubscriptions and MaxContacts must be 1-{Protocol.Wire.ProtocolLimits.MaxGroupMembers}.");
        if (CoalesceWindow < TimeSpan.FromMilliseconds(10) || SubscriptionLifetime < CoalesceWindow * 4)
            throw new ArgumentException("FastChat:Presence:CoalesceWindow must be at least 10 ms and SubscriptionLifetime at least four windows.");
        if (!Enum.IsDefined(DefaultVisibility)) throw new ArgumentException("FastChat:Presence:DefaultVisibility must be Everyone, Contacts or Nobody.");
        if (TypingPerSecond < 1 || TypingBurst < 1 || RequestsPerMinute < 1 || RequestBurst < 1)
            throw new ArgumentException("FastChat:Presence:TypingPerSecond, TypingBurst, RequestsPerMinute and RequestBurst must be positive.");
    }
}
