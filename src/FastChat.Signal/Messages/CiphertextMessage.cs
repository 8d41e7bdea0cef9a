namespace FastChat.Signal.Messages;

/// <summary>What encryption yields: a prekey message (type 3, until the remote answers) or a plain one (type 1), libsignal's numbering.</summary>
public sealed record CiphertextMessage(CiphertextType Type, byte[] Body);

public enum CiphertextType
{
    Whisper = 1,
    PreKey = 3,
    /// <summary>A SenderKeyMessage (group messages; libsignal's type 7).</summary>
    SenderKey = 7,
}
