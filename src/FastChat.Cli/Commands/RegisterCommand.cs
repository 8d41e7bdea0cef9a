using FastChat.Protocol.Frames;

namespace FastChat.Cli.Commands;

/// <summary><c>fastchat register NAME [--code CODE]</c>: bind NAME to this profile's device key.</summary>
public static class RegisterCommand
{
    public static async Task<int> RunAsync(Profile profile, string user, string? code, TextWriter output)
    {
        if (!FastChat.Protocol.Wire.UserName.IsValid(user))
            throw new CliException("names are 3-32 characters of a-z 0-9 . _ - (starting with a letter or digit)");
        await using var client = Session.CreateClient(profile, user);
        var welcome = await client.ConnectAsync();
        Session.PinServerKey(profile, client);
        if (welcome.State == WelcomeState.Authenticated)
        {
            SaveUser(profile, user);
            output.WriteLine($"{user} is already registered to this device.");
            return 0;
        }
        var result = await client.RegisterAsync(code);
        if (result.Status == RegisterStatus.CodeSent)
        {
            // An open server registers on an empty code; others sent a code to the name's owner.
            output.WriteLine("A verification code was sent. Run: fastchat register " + user + " --code <code>");
            return 3;
        }
        if (result.Status == RegisterStatus.Registered)
        {
            SaveUser(profile, user);
            output.WriteLine($"Registered {user}.");
            return 0;
        }
        output.WriteLine($"Registration failed: {result.Status} ({result.Message}).");
        return 1;
    }

    private static void SaveUser(Profile profile, string user)
    {
        profile.UserName = user;
        profile.Save();
    }
}
