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
