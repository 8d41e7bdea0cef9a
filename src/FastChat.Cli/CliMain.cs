using System.CommandLine;
using FastChat.Cli.Commands;
using FastChat.Client;
using FastChat.Client.Encryption;

namespace FastChat.Cli;

/// <summary>The command tree (System.CommandLine): global profile and server options, one subcommand per task.</summary>
public static class CliMain
{
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output)
    {
        var profileName = new Option<string>("--profile") { Description = "the profile to use (a directory under $FASTCHAT_HOME or ~/.fastchat)", DefaultValueFactory = _ => "default", Recursive = true };
        var profileDir = new Option<string?>("--profile-dir") { Description = "use this profile directory instead", Recursive = true };
        var server = new Option<string?>("--server") { Description = "HOST:PORT[,HOST:PORT...]: the server, then seeds of the same cluster", Recursive = true };
        var root = new RootCommand("fastchat — the FastChat terminal client. Messages are end-to-end encrypted (Signal Protocol).") { profileName, profileDir, server };

        Profile OpenProfile(ParseResult parse)
        {
            var profile = Profile.Open(parse.GetValue(profileDir) ?? Path.Combine(Profile.DefaultRoot, parse.GetValue(profileName)!));
            if (parse.GetValue(server) is { } address && address != profile.Server)
            {
                profile.Server = address;
                profile.ServerKey = null; // a different server: pin its key afresh
                profile.Save();
            }
            return profile;
        }

        var name = new Argument<string>("name") { Description = "the user name to register (3-32 of a-z 0-9 . _ -)" };
        var code = new Option<string?>("--code") { Description = "the verification code the server sent" };
        var register = new Command("register", "bind NAME to this device and publish its encryption keys") { name, code };
        register.SetAction((parse, ct) => Guarded(output, () => RegisterCommand.RunAsync(OpenProfile(parse), parse.GetValue(name)!, parse.GetValue(code), output)));

        var contact = new Argument<string>("contact") { Description = "the user to talk to" };
        var downloads = new Option<string?>("--downloads") { Description = "where received files are saved (default: the profile's downloads folder)" };
        string DownloadsOf(ParseResult parse, Profile profile) => parse.GetValue(downloads) ?? FileTransfers.DefaultDownloads(profile);
        var chat = new Command("chat", "chat interactively; messages, files, ✓ ✓✓ read ticks, presence, typing and warnings appear live; /file PATH sends a file; /quit leaves") { contact, downloads };
        chat.SetAction((parse, ct) => Guarded(output, () =>
        {
            var profile = OpenProfile(parse);
            return ChatCommand.RunAsync(profile, parse.GetValue(contact)!, input, output, DownloadsOf(parse, profile));
        }));

        var words = new Argument<string[]>("text") { Description = "the message", Arity = ArgumentArity.OneOrMore };
        var send = new Command("send", "send one encrypted message; exits when the server has it (✓)") { contact, words };
        send.SetAction((parse, ct) => Guarded(output, () => SendCommand.RunAsync(OpenProfile(parse), parse.GetValue(contact)!, string.Join(' ', parse.GetValue(words)!), output)));

        var wait = new Option<double>("--wait") { Description = "seconds to wait for messages", DefaultValueFactory = _ => 3 };
        var inbox = new Command("inbox", "print what arrived while you were offline, saving files into the downloads folder") { wait, downloads };
        inbox.SetAction((parse, ct) => Guarded(output, () =>
        {
            var profile = OpenProfile(parse);
            return InboxCommand.RunAsync(profile, TimeSpan.FromSeconds(parse.GetValue(wait)), DownloadsOf(parse, profile), output);
        }));

        var filePath = new Argument<string>("path") { Description = "the file to send" };
        var sendFile = new Command("send-file", "encrypt a file, upload it (with progress) and send it; exits when the server has the message (✓)") { contact, filePath };
        sendFile.SetAction((parse, ct) => Guarded(output, async () =>
        {
            await using var session = await Session.ConnectAsync(OpenProfile(parse), s => s.Warn(output.WriteLine));
            ulong id = await FileTransfers.SendAsync(session.Chat, parse.GetValue(contact)!, parse.GetValue(filePath)!, output);
            output.WriteLine($"✓ sent {Path.GetFileName(parse.GetValue(filePath))} to {parse.GetValue(contact)}, end-to-end encrypted (id {id})");
            return 0;
        }));

        var safety = new Command("safety-number", "show the safety number to compare with CONTACT (in person or on a call)") { contact };
        safety.SetAction(parse => GuardedSync(output, () => TrustCommands.SafetyNumber(OpenProfile(parse), parse.GetValue(contact)!, output)));

        var trust = new Command("trust", "accept CONTACT's new safety number (after comparing it) and show the messages held until then") { contact };
        trust.SetAction(parse => GuardedSync(output, () => TrustCommands.Trust(OpenProfile(parse), parse.GetValue(contact)!, output)));

        var linkWait = new Option<double>("--wait") { Description = "seconds to wait for the primary to enter the code", DefaultValueFactory = _ => 300 };
        var link = new Command("link", "make this (new) profile another device of NAME: shows a code to enter on the primary") { name, linkWait };
        link.SetAction((parse, ct) => Guarded(output, () => LinkCommand.RunAsync(OpenProfile(parse), parse.GetValue(name)!, TimeSpan.FromSeconds(parse.GetValue(linkWait)), output)));

        var whose = new Argument<string?>("user") { Description = "whose devices (default: this account's)", Arity = ArgumentArity.ZeroOrOne };
        var list = new Command("list", "fetch and verify the signed device list of USER (default: yours) and show it") { whose };
        list.SetAction((parse, ct) => Guarded(output, () => DevicesCommands.ListAsync(OpenProfile(parse), parse.GetValue(whose), output)));
        var linkCode = new Argument<string>("code") { Description = "the code the new device shows (case, spaces and dashes do not matter)" };
        var approve = new Command("link", "on the primary: link the waiting device that shows CODE") { linkCode };
        approve.SetAction((parse, ct) => Guarded(output, () => DevicesCommands.LinkAsync(OpenProfile(parse), parse.GetValue(linkCode)!, output)));
        var deviceId = new Argument<byte>("device") { Description = "the device number, as 'devices list' shows it" };
        var unlink = new Command("unlink", "on the primary: remove DEVICE from the account (it is signed out)") { deviceId };
        unlink.SetAction((parse, ct) => Guarded(output, () => DevicesCommands.UnlinkAsync(OpenProfile(parse), parse.GetValue(deviceId), output)));
        var devices = new Command("devices", "this account's devices and other users' signed device lists") { list, approve, unlink };

        var limit = new Option<int>("--limit") { Description = "how many of the last messages", DefaultValueFactory = _ => 50 };
        var history = new Command("history", "show the conversation with CONTACT as this device kept it (sent, received and copies from your other devices)") { contact, limit };
        history.SetAction(parse => GuardedSync(output, () => HistoryCommand.Run(OpenProfile(parse), parse.GetValue(contact)!, parse.GetValue(limit), output)));

        var watched = new Argument<string[]>("users") { Description = "whose presence", Arity = ArgumentArity.OneOrMore };
        var presenceWait = new Option<double>("--wait") { Description = "seconds to wait for the answers", DefaultValueFactory = _ => 5 };
        var presence = new Command("presence", "show whether USERS are online, or when they were last seen (as far as they share it)") { watched, presenceWait };
        presence.SetAction((parse, ct) => Guarded(output, () => PresenceCommands.ShowAsync(OpenProfile(parse), parse.GetValue(watched)!, TimeSpan.FromSeconds(parse.GetValue(presenceWait)), output)));
        var visibility = new Argument<FastChat.Protocol.Frames.PresenceVisibility>("who") { Description = "who may see your presence and last seen: everyone, contacts or nobody" };
        var contactList = new Option<string[]>("--contacts") { Description = "your contacts (who 'contacts' means): user names", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [] };
        var privacy = new Command("privacy", "choose who may see when you are online and when you were last seen") { visibility, contactList };
        privacy.SetAction((parse, ct) => Guarded(output, () => PresenceCommands.SetAsync(OpenProfile(parse), parse.GetValue(visibility), parse.GetValue(contactList)!, output)));

        var groupName = new Argument<string>("name") { Description = "the group's name" };
        var groupRef = new Argument<string>("group") { Description = "the group: its name as this profile knows it, or its address (#hex)" };
        var groupUsers = new Argument<string[]>("users") { Description = "user names", Arity = ArgumentArity.ZeroOrMore };
        var someUsers = new Argument<string[]>("users") { Description = "user names", Arity = ArgumentArity.OneOrMore };
        var groupCreate = new Command("create", "create a group NAME with USERS (you are its admin)") { groupName, groupUsers };
        groupCreate.SetAction((parse, ct) => Guarded(output, () => GroupCommands.CreateAsync(OpenProfile(parse), parse.GetValue(groupName)!, parse.GetValue(groupUsers) ?? [], output)));
        Command Change(string verb, FastChat.Protocol.Frames.GroupOp op, string help, bool takesUsers)
        {
            var command = new Command(verb, help) { groupRef };
            if (takesUsers) command.Arguments.Add(someUsers);
            command.SetAction((parse, ct) => Guarded(output, () => GroupCommands.ChangeAsync(OpenProfile(parse), op, parse.GetValue(groupRef)!, takesUsers ? parse.GetValue(someUsers)! : [], output)));
            return command;
        }
        var groupInfo = new Command("info", "the group's name, version and members (members only)") { groupRef };
        groupInfo.SetAction((parse, ct) => Guarded(output, () => GroupCommands.InfoAsync(OpenProfile(parse), parse.GetValue(groupRef)!, output)));
        var groupChat = new Command("chat", "chat in the group: lines are sent to every member; /info shows ✓✓ and read per member; /quit leaves") { groupRef };
        groupChat.SetAction((parse, ct) => Guarded(output, () => GroupCommands.ChatAsync(OpenProfile(parse), parse.GetValue(groupRef)!, input, output)));
        var group = new Command("group", "groups: create, change membership, see members, chat")
        {
            groupCreate,
            Change("add", FastChat.Protocol.Frames.GroupOp.Add, "add USERS (admins only)", true),
            Change("remove", FastChat.Protocol.Frames.GroupOp.Remove, "remove USERS (admins only); they cannot read what follows", true),
            Change("leave", FastChat.Protocol.Frames.GroupOp.Leave, "leave the group", false),
            Change("promote", FastChat.Protocol.Frames.GroupOp.Promote, "make USERS admins (admins only)", true),
            groupInfo,
            groupChat,
        };

        var whoami = new Command("whoami", "show the profile's user, server, pinned server key and device");
        whoami.SetAction(parse => GuardedSync(output, () => TrustCommands.WhoAmI(OpenProfile(parse), output)));

        foreach (var command in new[] { register, link, chat, group, send, sendFile, inbox, history, devices, presence, privacy, safety, trust, whoami }) root.Subcommands.Add(command);
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output }).ConfigureAwait(false);
    }

    /// <summary>Runs a command; what a user can cause (an unreachable server, a refused name, a changed identity) is one line, not a stack trace.</summary>
    private static async Task<int> Guarded(TextWriter output, Func<Task<int>> run)
    {
        try { return await run().ConfigureAwait(false); }
        catch (Exception ex) when (Explain(ex) is { } message)
        {
            output.WriteLine("fastchat: " + message);
            return 1;
        }
    }

    private static Task<int> GuardedSync(TextWriter output, Func<int> run) => Guarded(output, () => Task.FromResult(run()));

    private static string? Explain(Exception ex) => ex switch
    {
        CliException or FastChatException or SecureChatException or IdentityChangedException or DeviceListException => ex.Message,
        System.Net.Sockets.SocketException socket => $"cannot reach the server: {socket.Message}",
        TimeoutException => "the server did not answer in time",
        FastChat.Client.Media.MediaTransferException or FastChat.Client.Media.MediaIntegrityException => ex.Message,
        HttpRequestException http => $"cannot reach the media endpoint: {http.Message}",
        System.Security.Cryptography.CryptographicException crypto => crypto.Message,
        _ => null,
    };
}
