namespace FastChat.Server.DeviceLists;

/// <summary>Device list limits (Hosting maps them from the FastChat:MaxDevicesPerAccount setting).</summary>
internal sealed record DeviceOptions
{
    /// <summary>Devices one account may list: the primary and its linked companions.</summary>
    public int MaxDevices { get; init; } = 5;
}
