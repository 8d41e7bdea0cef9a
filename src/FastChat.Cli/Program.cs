using FastChat.Cli;
using FastChat.Cli.Commands;
using FastChat.Client;

// fastchat — the FastChat terminal client. See `fastchat help`.
return await CliMain.RunAsync(args, Console.In, Console.Out);

namespace FastChat.Cli
{
    public static class CliMain
    {
        private const string Usage = """
            usage: fastchat [--profile NAME | --profile-dir DIR] [--server HOST:PORT[,HOST:PORT...]] COMMAND
              register NAME [--code CODE]   bind NAME to this profile's device key (asks for a code if the server needs one)
              chat CONTACT                  chat interactively; incoming messages and ✓ ✓✓ read ticks appear live
              send CONTACT TEXT...          send one message; exits when the server has it (✓)
              inbox [--wait SECONDS]        print what arrived while you were offline
              whoami                        show the profile's user, server and pinned server key
            Profiles live in $FASTCHAT_HOME or ~/.fastchat, one directory per profile (default "default").
            """;

        public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output)
        {
            var rest = new List<string>();
            string profileName = "default";
            string? profileDir = null, server = null, code = null;
            double waitSeconds = 3;
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--profile" when i + 1 < args.Length: profileName = args[++i]; break;
                    case "--profile-dir" when i + 1 < args.Length: profileDir = args[++i]; break;
                    case "--server" when i + 1 < args.Length: server = args[++i]; break;
                    case "--code" when i + 1 < args.Length: code = args[++i]; break;
                    case "--wait" when i + 1 < args.Length: waitSeconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                    default: rest.Add(args[i]); break;
                }
            }
            var profile = Profile.Open(profileDir ?? Path.Combine(Profile.DefaultRoot, profileName));
            if (server is not null && server != profile.Server)
            {
                profile.Server = server;
                profile.ServerKey = null; // a different server: pin its key afresh
                profile.Save();
            }
            try
            {
                return rest switch
                {
                    ["register", var name] => await RegisterCommand.RunAsync(profile, name, code, output),
                    ["chat", var contact] => await ChatCommand.RunAsync(profile, contact, input, output),
                    ["send", var contact, .. var words] when words.Count > 0 => await SendCommand.RunAsync(profile, contact, string.Join(' ', words), output),
                    ["inbox"] => await InboxCommand.RunAsync(profile, TimeSpan.FromSeconds(waitSeconds), output),
                    ["whoami"] => WhoAmI(profile, output),
                    _ => Help(output),
                };
            }
            catch (CliException ex)
            {
                output.WriteLine("fastchat: " + ex.Message);
                return 1;
            }
            catch (FastChatException ex)
            {
                output.WriteLine("fastchat: " + ex.Message);
                return 1;
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                output.WriteLine($"fastchat: cannot reach {profile.Server}: {ex.Message}");
                return 1;
            }
        }

        private static int WhoAmI(Profile profile, TextWriter output)
        {
            output.WriteLine($"user: {profile.UserName ?? "(not registered)"}");
            output.WriteLine($"server: {profile.Server}");
            output.WriteLine($"server key: {profile.ServerKey ?? "(not pinned yet)"}");
            output.WriteLine($"profile: {profile.Directory}");
            return 0;
        }

        private static int Help(TextWriter output)
        {
            output.WriteLine(Usage);
            return 2;
        }
    }
}
