using FastChat.Cli;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Cli;

/// <summary>The fastchat terminal client's commands against a real server, with profiles in temp directories.</summary>
public class CliTests
{
    private static async Task<(int Exit, string Output)> Run(string profileDir, string server, string? input, params string[] args)
    {
        var output = new StringWriter();
        int exit = await CliMain.RunAsync(["--profile-dir", profileDir, "--server", server, .. args], new StringReader(input ?? ""), output);
        return (exit, output.ToString());
    }

    [Fact]
    public async Task Register_send_inbox_and_chat_work_end_to_end()
    {
        await using var server = await TestServer.StartAsync();
        string address = $"127.0.0.1:{server.Port}";
        using TempDirectory alice = new(), bob = new();

        var registered = await Run(alice, address, null, "register", "alice");
        Assert.Equal(0, registered.Exit);
        Assert.Contains("Published this device's encryption keys", registered.Output);
        Assert.Equal(0, (await Run(bob, address, null, "register", "bob")).Exit);
        Assert.True(File.Exists(Path.Combine(alice, "device.db")));

        var sent = await Run(alice, address, null, "send", "bob", "hello", "there");
        Assert.Equal(0, sent.Exit);
        Assert.Contains("✓ sent to bob, end-to-end encrypted", sent.Output);

        var inbox = await Run(bob, address, null, "inbox");
        Assert.Contains("alice: hello there", inbox.Output);
        var again = await Run(bob, address, null, "inbox", "--wait", "0.5");
        Assert.Contains("No new messages.", again.Output); // acknowledged and deleted

        var chat = await Run(alice, address, "first line\nsecond line\n/quit\n", "chat", "bob");
        Assert.Contains("you [1]: first line", chat.Output);
        Assert.Contains("[2] ✓", chat.Output);
        var chatInbox = await Run(bob, address, null, "inbox");
        Assert.Contains("alice: first line", chatInbox.Output);
        Assert.Contains("alice: second line", chatInbox.Output);

        var whoami = await Run(alice, address, null, "whoami");
        Assert.Contains("user: alice", whoami.Output);
        Assert.Matches("server key: [0-9a-f]{64}", whoami.Output);
        Assert.Contains("encryption keys published: yes", whoami.Output);

        // Both sides show the same safety number.
        var atAlice = await Run(alice, address, null, "safety-number", "bob");
        var atBob = await Run(bob, address, null, "safety-number", "alice");
        Assert.Equal(0, atAlice.Exit);
        string Digits(string text) => System.Text.RegularExpressions.Regex.Replace(string.Concat(text.Split('\n').Skip(1)), "[^0-9]", "");
        Assert.Equal(60, Digits(atAlice.Output).Length);
        Assert.Equal(Digits(atAlice.Output), Digits(atBob.Output));
    }

    [Fact]
    public async Task Presence_and_privacy_show_what_the_user_shares()
    {
        await using var server = await TestServer.StartAsync(options => options.Presence.CoalesceWindow = TimeSpan.FromMilliseconds(50));
        string address = $"127.0.0.1:{server.Port}";
        using TempDirectory alice = new(), bob = new();
        Assert.Equal(0, (await Run(alice, address, null, "register", "alice")).Exit);
        Assert.Equal(0, (await Run(bob, address, null, "register", "bob")).Exit);

        var lastSeen = await Run(bob, address, null, "presence", "alice");
        Assert.Equal(0, lastSeen.Exit);
        Assert.Contains("alice was last seen 20", lastSeen.Output);

        var chosen = await Run(alice, address, null, "privacy", "contacts", "--contacts", "carol");
        Assert.Contains("only your contacts (carol)", chosen.Output);
        var hidden = await Run(bob, address, null, "presence", "alice");
        Assert.Contains("alice does not share their presence with you", hidden.Output);
    }

    [Fact]
    public async Task A_photo_goes_with_send_file_and_inbox_saves_it_into_the_downloads_folder()
    {
        await using var server = await TestServer.StartAsync(options => options.Media.Port = FreePorts.Next());
        string address = $"127.0.0.1:{server.Port}";
        using TempDirectory alice = new(), bob = new(), files = new();
        Assert.Equal(0, (await Run(alice, address, null, "register", "alice")).Exit);
        Assert.Equal(0, (await Run(bob, address, null, "register", "bob")).Exit);
        var photo = Path.Combine(files, "holiday.jpg");
        await File.WriteAllBytesAsync(photo, System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000));

        var sent = await Run(alice, address, null, "send-file", "bob", photo);
        Assert.True(sent.Exit == 0, sent.Output);
        Assert.Contains("✓ sent holiday.jpg to bob", sent.Output);
        var inbox = await Run(bob, address, null, "inbox", "--downloads", Path.Combine(files, "in"));
        Assert.Contains("alice: [file] holiday.jpg (200000 bytes)", inbox.Output);
        Assert.Contains("saved holiday.jpg from alice", inbox.Output);
        Assert.Equal(await File.ReadAllBytesAsync(photo), await File.ReadAllBytesAsync(Path.Combine(files, "in", "holiday.jpg")));

        var chat = await Run(alice, address, $"/file {photo}\n/file /no/such/file\n/quit\n", "chat", "bob");
        Assert.Contains("you: [file] holiday.jpg ✓", chat.Output);
        Assert.Contains("file not sent: there is no file /no/such/file", chat.Output);
    }

    /// <summary>Input typed line by line while a command runs.</summary>
    private sealed class TypedLines : TextReader
    {
        private readonly System.Threading.Channels.Channel<string?> _lines = System.Threading.Channels.Channel.CreateUnbounded<string?>();
        public void Type(string? line) => _lines.Writer.TryWrite(line);
        public override async ValueTask<string?> ReadLineAsync(CancellationToken ct) => await _lines.Reader.ReadAsync(ct);
        public override Task<string?> ReadLineAsync() => ReadLineAsync(CancellationToken.None).AsTask();
    }

    /// <summary>What a command has written so far (it writes from several threads, under the writer's lock).</summary>
    private sealed class LiveOutput : StringWriter
    {
        public string Text { get { lock (this) return ToString(); } }
    }

    [Fact]
    public async Task A_group_is_made_chatted_in_and_info_shows_who_has_each_message()
    {
        await using var server = await TestServer.StartAsync();
        string address = $"127.0.0.1:{server.Port}";
        using TempDirectory alice = new(), bob = new(), carol = new();
        foreach (var (profile, name) in new[] { (alice, "alice"), (bob, "bob"), (carol, "carol") })
            Assert.Equal(0, (await Run(profile, address, null, "register", name)).Exit);

        var created = await Run(alice, address, null, "group", "create", "climbers", "bob", "carol");
        Assert.Contains("created group 'climbers' #", created.Output);
        var info = await Run(alice, address, null, "group", "info", "climbers");
        Assert.Contains("climbers", info.Output);
        Assert.Contains("  alice (admin)", info.Output);
        Assert.Contains("  carol", info.Output);

        var typed = new TypedLines();
        var output = new LiveOutput();
        var chat = CliMain.RunAsync(["--profile-dir", alice, "--server", address, "group", "chat", "climbers"], typed, output);
        typed.Type("rope at 9?");
        await Eventually.TrueAsync(() => output.Text.Contains("you [1] ✓: rope at 9?"), because: output.Text);

        // bob reads his inbox (✓✓ for alice); carol has not looked yet.
        var atBob = await Run(bob, address, null, "inbox");
        Assert.Contains("[climbers] alice: rope at 9?", atBob.Output);
        await Eventually.TrueAsync(() =>
        {
            typed.Type("/info");
            return output.Text.Contains("[1] rope at 9?: read by -; ✓✓ bob; not yet carol");
        }, because: output.Text);
        typed.Type("/quit");
        Assert.Equal(0, await chat);

        // Removed, carol is shown nothing of the group any more.
        Assert.Contains("remove: done", (await Run(alice, address, null, "group", "remove", "climbers", "carol")).Output);
        string groupAddress = System.Text.RegularExpressions.Regex.Match(created.Output, "#[0-9a-f]{32}").Value;
        Assert.Contains("you are not a member of this group", (await Run(carol, address, null, "group", "info", groupAddress)).Output);
    }

    /// <summary>Runs 'link USER' on a new profile, enters the code it shows on the primary's profile, and waits until it has finished.</summary>
    private static async Task<string> LinkAsync(string newProfile, string primaryProfile, string server, string user)
    {
        var output = new StringWriter();
        var shared = TextWriter.Synchronized(output);
        var linking = CliMain.RunAsync(["--profile-dir", newProfile, "--server", server, "link", user, "--wait", "60"], new StringReader(""), shared);
        string code = "";
        await Eventually.TrueAsync(() =>
        {
            lock (shared) code = System.Text.RegularExpressions.Regex.Match(output.ToString(), "Link code: (\\S+)").Groups[1].Value;
            return code.Length > 0 || linking.IsCompleted;
        }, TimeSpan.FromSeconds(30), () => "no link code: " + output);
        var approved = await Run(primaryProfile, server, null, "devices", "link", code);
        Assert.True(approved.Exit == 0, approved.Output);
        Assert.Contains("Linked device 2", approved.Output);
        Assert.Equal(0, await linking.WaitAsync(TimeSpan.FromSeconds(30)));
        lock (shared) return output.ToString();
    }

    [Fact]
    public async Task Two_people_chat_on_two_devices_each()
    {
        await using var server = await TestServer.StartAsync();
        string address = $"127.0.0.1:{server.Port}";
        using TempDirectory alicePhone = new(), aliceLaptop = new(), bobPhone = new(), bobLaptop = new();
        Assert.Equal(0, (await Run(alicePhone, address, null, "register", "alice")).Exit);
        Assert.Equal(0, (await Run(bobPhone, address, null, "register", "bob")).Exit);
        var linked = await LinkAsync(aliceLaptop, alicePhone, address, "alice");
        Assert.Contains("Linked as device 2 of alice.", linked);
        Assert.Contains("Published this device's encryption keys", linked);
        await LinkAsync(bobLaptop, bobPhone, address, "bob");

        var devices = await Run(aliceLaptop, address, null, "devices", "list");
        Assert.Matches(@"1  primary .*\n.*2  linked .*\(this device\)", devices.Output);
        Assert.Contains("device: 2 (linked)", (await Run(aliceLaptop, address, null, "whoami")).Output);

        Assert.Equal(0, (await Run(alicePhone, address, null, "send", "bob", "hello from my phone")).Exit);
        Assert.Contains("alice: hello from my phone", (await Run(bobPhone, address, null, "inbox")).Output);
        Assert.Contains("alice: hello from my phone", (await Run(bobLaptop, address, null, "inbox")).Output);
        Assert.Contains("you (from alice) → bob: hello from my phone", (await Run(aliceLaptop, address, null, "inbox")).Output);

        Assert.Equal(0, (await Run(bobLaptop, address, null, "send", "alice", "hi from my laptop")).Exit);
        Assert.Contains("bob/2: hi from my laptop", (await Run(alicePhone, address, null, "inbox")).Output);
        Assert.Contains("bob/2: hi from my laptop", (await Run(aliceLaptop, address, null, "inbox")).Output);
        Assert.Contains("you (from bob/2) → alice: hi from my laptop", (await Run(bobPhone, address, null, "inbox")).Output);

        // Each device keeps the whole conversation, its texts sealed in its store.
        var phoneHistory = (await Run(alicePhone, address, null, "history", "bob")).Output;
        Assert.Matches(@"\] you: hello from my phone\n.*\] bob/2: hi from my laptop", phoneHistory);
        var laptopHistory = (await Run(aliceLaptop, address, null, "history", "bob")).Output;
        Assert.Matches(@"\] you \(from alice\): hello from my phone\n.*\] bob/2: hi from my laptop", laptopHistory);

        // bob unlinks his laptop: alice's phone is warned the next time it writes to him, and bob's phone still reads it.
        Assert.Contains("Unlinked device 2", (await Run(bobPhone, address, null, "devices", "unlink", "2")).Output);
        var afterUnlink = await Run(alicePhone, address, null, "send", "bob", "just your phone now");
        Assert.Contains("⚠ bob's devices changed (device 2 removed)", afterUnlink.Output);
        Assert.Contains("alice: just your phone now", (await Run(bobPhone, address, null, "inbox")).Output);
        var refused = await Run(bobLaptop, address, null, "inbox");
        Assert.Equal(1, refused.Exit);
    }

    [Fact]
    public async Task Help_and_mistakes_are_answered_as_dotnet_tools_do()
    {
        using TempDirectory someone = new();
        var help = await Run(someone, "127.0.0.1:1", null, "--help");
        Assert.Equal(0, help.Exit);
        foreach (var command in new[] { "register", "chat", "send", "inbox", "safety-number", "trust", "whoami" }) Assert.Contains(command, help.Output);
        var missing = await Run(someone, "127.0.0.1:1", null, "send", "bob");
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains("text", missing.Output); // the missing argument is named
        var unknown = await Run(someone, "127.0.0.1:1", null, "sned", "bob", "hi");
        Assert.NotEqual(0, unknown.Exit);
        var noDevice = await Run(someone, "127.0.0.1:1", null, "inbox");
        Assert.Equal((1, true), (noDevice.Exit, noDevice.Output.Contains("run 'fastchat register <name>' first")));
        var unreachable = await Run(someone, "127.0.0.1:1", null, "register", "someone");
        Assert.Equal(1, unreachable.Exit);
        Assert.Contains("cannot reach the server", unreachable.Output);
    }

    [Fact]
    public async Task Registration_with_a_code_and_a_pinned_server_key()
    {
        await using var server = await TestServer.StartAsync(o => o.OpenRegistration = false);
        string address = $"127.0.0.1:{server.Port}";
        using TempDirectory carol = new();
        var asked = await Run(carol, address, null, "register", "carol");
        Assert.Equal(3, asked.Exit);
        Assert.Contains("verification code was sent", asked.Output);
        var code = new FastChat.Server.Accounts.RegistrationCodes(server.DataDirectory, TimeProvider.System).Issue("carol");
        Assert.Equal(0, (await Run(carol, address, null, "register", "carol", "--code", code)).Exit);

        // Another server at the same address with a different key is refused by the pin.
        var profile = Profile.Open(carol);
        profile.ServerKey = new string('0', 64);
        profile.Save();
        var refused = await CliMain.RunAsync(["--profile-dir", carol, "inbox"], new StringReader(""), new StringWriter());
        Assert.Equal(1, refused);
    }
}
