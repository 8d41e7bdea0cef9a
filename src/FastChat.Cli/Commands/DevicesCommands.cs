using FastChat.Protocol.Frames;

namespace FastChat.Cli.Commands;

/// <summary><c>fastchat devices list|link|unlink</c>: an account's signed device list, and the primary's changes to it.</summary>
public static class DevicesCommands
{
    /// <summary>Fetches and verifies <paramref name="user"/>'s list (this account's when null), shows it and any messages it releases.</summary>
    public static async Task<int> ListAsync(Profile profile, string? user, TextWriter output)
    {
        await using var session = await Session.ConnectAsync(profile, s => s.Warn(output.WriteLine));
        string account = user ?? session.Device.UserName;
        var released = await session.Chat.RefreshDevicesAsync(account);
        if (session.Chat.KnownDevices(account) is not { } list)
        {
            output.WriteLine($"{account} has no signed device list (an older client): one device, its primary.");
            return 0;
        }
        output.WriteLine($"{account}'s devices (signed list {list.Generation}, {DateTimeOffset.FromUnixTimeMilliseconds(list.IssuedMs).ToLocalTime():yyyy-MM-dd HH:mm}):");
        foreach (var device in list.Devices)
        {
            string role = device.DeviceId == DeviceList.PrimaryDevice ? "primary" : "linked";
            bool me = account == session.Device.UserName && device.DeviceId == session.Client.DeviceId;
            output.WriteLine($"  {device.DeviceId,2}  {role,-7}  identity {Convert.ToHexString(device.IdentityKey.AsSpan(1, 8)).ToLowerInvariant()}…{(me ? "  (this device)" : "")}");
        }
        foreach (var line in released.Select(m => MessageView.Format(m, "yyyy-MM-dd HH:mm:ss")).OfType<string>()) output.WriteLine(line);
        return 0;
    }

    public static async Task<int> LinkAsync(Profile profile, string code, TextWriter output)
    {
        await using var session = await Session.ConnectAsync(profile);
        byte id = await session.Chat.LinkDeviceAsync(code);
        output.WriteLine($"Linked device {id}: it signs in now. Your contacts' apps see the new signed device list.");
        return 0;
    }

    public static async Task<int> UnlinkAsync(Profile profile, byte device, TextWriter output)
    {
        await using var session = await Session.ConnectAsync(profile);
        await session.Chat.UnlinkDeviceAsync(device);
        output.WriteLine($"Unlinked device {device}: the server signed it out and dropped what was waiting for it.");
        return 0;
    }
}
