using FastChat.Client.Encryption;
using FastChat.Protocol.Frames;

namespace FastChat.Cli.Commands;

/// <summary>
/// <c>fastchat link NAME</c>, on a new device (a new profile): shows a link code, waits until the
/// primary enters it (<c>fastchat devices link CODE</c>), then signs in as the new device and
/// publishes its encryption keys. Interrupted, it can be run again: the device and its code stay the same.
/// </summary>
public static class LinkCommand
{
    public static async Task<int> RunAsync(Profile profile, string user, TimeSpan wait, TextWriter output)
    {
        if (!FastChat.Protocol.Wire.UserName.IsValid(user)) throw new CliException($"'{user}' is not a user name");
        using (var device = profile.HasDevice ? profile.OpenDevice() : profile.CreateDevice(user))
        {
            if (device.UserName != user || device.GetNumber("device_list_generation", 0) != 0 || device.GetNumber("device_id", 0) != 0)
                throw new CliException($"this profile already is a device of {device.UserName}; link from a new --profile");
            var client = Session.CreateClient(profile, device, linkIdentityKey: device.IdentityKeyPair.PublicKey.Serialized.ToArray());
            await using (client)
            {
                using var chat = new SecureChat(client, device);
                var welcome = await client.ConnectAsync();
                Session.PinServerKey(profile, client);
                if (welcome.State != WelcomeState.LinkPending)
                    throw new CliException(welcome.State == WelcomeState.RegistrationRequired
                        ? $"there is no account {user} to link to: register it on your primary device first"
                        : $"the server did not take the link request ({welcome.State})");
                string code = chat.LinkCodeForThisDevice;
                output.WriteLine($"Link code: {code}");
                output.WriteLine($"On {user}'s primary device run:  fastchat devices link {code}");
                output.Flush();
                LinkDoneBody done;
                try { done = await client.WaitForLinkAsync().WaitAsync(wait); }
                catch (TimeoutException) { throw new CliException("not linked in time: run 'fastchat link' again to show the code again"); }
                output.WriteLine($"Linked as device {done.DeviceId} of {user}.");
            }
        }
        profile.UserName = user;
        profile.Save();
        await using var session = await Session.ConnectAsync(profile, s => s.Warn(output.WriteLine));
        await session.Chat.PublishAsync();
        output.WriteLine("Published this device's encryption keys: messages to and from it are end-to-end encrypted.");
        return 0;
    }
}
