using FastChat.Protocol.Wire;

namespace FastChat.Client;

public sealed record IncomingMessage(string From, ulong MessageId, DateTimeOffset ServerTime, byte[] Payload);

public enum ReceiptKind { Delivered, Read }

/// <summary>Receipts are cumulative per conversation: every message to <see cref="Peer"/> up to <see cref="MessageId"/>.</summary>
/// <param name="Group">Set when the receipt is about group messages: then it counts within that group (cumulative per member device and group).</param>
public sealed record Receipt(ReceiptKind Kind, string Peer, ulong MessageId, DateTimeOffset ServerTime, byte[]? Group = null);

public sealed class FastChatException(ErrorCode code, string message) : Exception($"{code}: {message}")
{
    public ErrorCode Code { get; } = code;
}

/// <summary>A group message: the sending device, the group, the sender's id, and the payload (the sender-key ciphertext).</summary>
public sealed record IncomingGroupMessage(string From, byte[] GroupId, ulong MessageId, DateTimeOffset ServerTime, byte[] Payload);
