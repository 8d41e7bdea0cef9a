using FastChat.Signal.Groups;

namespace FastChat.Signal.Stores;

/// <summary>Where a device keeps sender keys: its own for each distribution, and each group member's it was sent.</summary>
public interface ISenderKeyStore
{
    /// <param name="sender">The sending device's Signal address ("user.device").</param>
    SenderKeyRecord? LoadSenderKey(string sender, Guid distributionId);
    void StoreSenderKey(string sender, Guid distributionId, SenderKeyRecord record);
}
