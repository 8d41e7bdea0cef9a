namespace FastChat.Server.DeviceLists;

/// <summary>Device limits (Hosting maps them from the FastChat:MaxDevicesPerAccount and FastChat:LinkTimeout settings).</summary>
internal sealed record DeviceOptions
{
    /// <summary>Devices one account may list: the primary and its linked companions.</summary>
    public int MaxDevices { get; init; } = 5;

    /// <summary>Devices that may wait to be linked to one account at a time.</summary>
    public int MaxPendingLinks { get; init; } = 4;

    /// <summary>How long a device waits to be linked before its connection is closed.</summary>
    public TimeSpan LinkTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
