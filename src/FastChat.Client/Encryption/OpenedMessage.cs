using FastChat.Protocol.Wire;

namespace FastChat.Client.Encryption;

public enum OpenedStatus
{
    /// <summary>Decrypted and authenticated: it came from the contact's trusted identity.</summary>
    Encrypted,
    /// <summary>Sent without end-to-end encryption (an older client): anyone on the server's side could have read or written it.</summary>
    Unencrypted,
    /// <summary>From a new identity key of the contact, not accepted yet: held, not shown as theirs until the user accepts it.</summary>
    IdentityChanged,
    /// <summary>A repeat of a message already opened (a redelivery).</summary>
    Duplicate,
    /// <summary>Could not be decrypted (no session, a bad MAC, a malformed envelope): see <see cref="OpenedMessage.Problem"/>.</summary>
    Undecryptable,
    /// <summary>
    /// From a companion device that the sender's signed device list (as this device last saw it)
    /// does not name with that identity: held until <see cref="SecureChat.RefreshDevicesAsync"/>
    /// finds it in a newer list, never shown before.
    /// </summary>
    UnlistedDevice,
    /// <summary>Not a message to show: a group member's sender key, taken in (<see cref="OpenedMessage.Group"/> says which group).</summary>
    GroupKey,
    /// <summary>A group message whose sender key has not arrived yet: held, opened when it does (<see cref="GroupChat.Released"/>).</summary>
    AwaitingKey,
}

/// <summary>An incoming message as the user should see it.</summary>
/// <param name="From">The sending device's address: "bob" (the primary) or "bob/2".</param>
/// <param name="To">Set on a copy of a message this account sent (from another of its devices): to whom it went.</param>
public sealed record OpenedMessage(string From, ulong MessageId, OpenedStatus Status, string? Text, DateTimeOffset? SentAt, string? Problem = null, string? To = null, byte[]? Group = null,
    Media.MediaPointer? Media = null)
{
    /// <summary>The sending user (<see cref="From"/> without the device).</summary>
    public string Sender => DeviceAddress.TryParse(From, out var user, out _) ? user : From;
}

/// <summary>A send or session start refused because the contact's identity (account key) changed and the user has not accepted the new one.</summary>
public sealed class IdentityChangedException(string contact)
    : Exception($"{contact}'s safety number has changed (a new phone, or someone in between): compare it, then run 'trust {contact}' to accept it")
{
    public string Contact { get; } = contact;
}

/// <summary>End-to-end encryption could not go ahead: the contact has no keys, or they cannot be fetched or published now.</summary>
public sealed class SecureChatException(string message) : Exception(message);
