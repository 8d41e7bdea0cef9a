using FastChat.Protocol.Frames;

namespace FastChat.Cli.Commands;

/// <summary><c>fastchat register NAME [--code CODE]</c>: bind NAME to this profile's device, then publish its encryption keys.</summary>
public static class RegisterCommand
{
    public static async Task<int> RunAsync(Profile profile, string user, string? code, TextWriter output)
    {
        if (!FastChat.Protocol.Wire.UserName.IsValid(user))
            throw new CliException("names are 3-32 characters of a-z 0-9 . _ - (starting with a letter or digit)");
        var device = profile.HasDevice ? profile.OpenDevice() : profile.CreateDevice(user);
        await using var session = Session.Create(profile, device);
        if (device.UserName != user)
            throw new CliException($"this profile's device is {device.UserName}; use another --profile for a second account");
        var welcome = await session.Client.ConnectAsync();
        Session.PinServerKey(profile, session.Client);
        if (welcome.State != WelcomeState.Authenticated)
        {
            var result = await session.Client.RegisterAsync(code);
            if (result.Status == RegisterStatus.CodeSent)
            {
                // An open server registers on an empty code; others sent a code to the name's owner.
                output.WriteLine("A verification code was sent. Run: fastchat register " + user + " --code <code>");
                return 3;
            }
            if (result.Status != RegisterStatus.Registered)
            {
                output.WriteLine($"Registration failed: {result.Status} ({result.Message}).");
                return 1;
            }
            output.WriteLine($"Registered {user}.");
        }
        else output.WriteLine($"{user} is already registered to this device.");
        profile.UserName = user;
        profile.Save();
        if (device.GetNumber("device_list_generation", 0) == 0)
        {
            await session.Chat.PublishAsync();
            output.WriteLine("Published this device's encryption keys: messages to and from it are end-to-end encrypted.");
        }
        return 0;
    }
}
