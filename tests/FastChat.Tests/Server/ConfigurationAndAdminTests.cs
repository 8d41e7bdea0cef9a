using FastChat.Client;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using FastChat.Server.Hosting;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>Configuration read one way for the server and its admin commands; registration's last wrong code.</summary>
public class ConfigurationAndAdminTests
{
    [Fact]
    public async Task Issue_code_reads_the_data_directory_from_the_same_environment_variables_as_the_server()
    {
        using var data = new TempDirectory();
        var (exit, output) = await ServerCommand.RunAsync(new Dictionary<string, string> { ["FastChat__DataDirectory"] = data.Path }, "issue-code", "carol");
        Assert.Equal(0, exit);
        // The server verifies with the secret in its data directory: the same one the command used.
        var codes = new RegistrationCodes(data.Path, TimeProvider.System);
        Assert.True(codes.Verify("carol", output.Trim()), $"code '{output.Trim()}' is not valid for the server's data directory");
    }

    [Fact]
    public async Task Server_key_prints_the_key_clients_see_in_the_handshake()
    {
        using var data = new TempDirectory();
        var (exit, output) = await ServerCommand.RunAsync(new Dictionary<string, string>(), "server-key", $"--FastChat:DataDirectory={data.Path}");
        Assert.Equal(0, exit);
        Assert.Matches("^[0-9a-f]{64}$", output.Trim());

        await using var server = await TestServer.StartAsync(dataDirectory: data.Path);
        await using var client = await TestClient.ConnectAsync(server.Port, "pinner");
        Assert.Equal(output.Trim(), Convert.ToHexString(client.Client.ServerPublicKey!).ToLowerInvariant());
    }

    [Fact]
    public async Task A_fractional_offline_ttl_is_accepted()
    {
        await using var server = await TestServer.StartAsync(o => o.OfflineTtlDays = 0.5);
        await using var client = await TestClient.ConnectAsync(server.Port, "halfday");
        Assert.Equal(0.5, ServerConfiguration.BindOptions(ServerConfiguration.Build(["--FastChat:OfflineTtlDays=0.5"])).OfflineTtlDays);
    }

    [Fact]
    public void A_value_that_does_not_parse_names_its_key()
    {
        var error = Assert.Throws<ArgumentException>(() => ServerConfiguration.BindOptions(ServerConfiguration.Build(["--FastChat:Port=lots"])));
        Assert.Contains("Port", error.Message);
    }

    [Fact]
    public void A_store_index_size_that_is_not_a_power_of_two_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => ServerConfiguration.BindOptions(ServerConfiguration.Build(["--FastChat:StoreIndexBuckets=3000"])));
        Assert.Contains("StoreIndexBuckets", error.Message);
        Assert.Equal(1 << 16, ServerConfiguration.BindOptions(ServerConfiguration.Build([])).StoreIndexBuckets);
    }

    [Fact]
    public async Task The_server_process_reports_a_bad_setting_in_one_line_and_exits_2()
    {
        using var data = new TempDirectory();
        var (exit, output) = await ServerCommand.RunAsync(new Dictionary<string, string>(), $"--FastChat:DataDirectory={data.Path}", "--FastChat:QueueQuota=0");
        Assert.Equal(2, exit);
        Assert.Contains("fastchat-server: FastChat:QueueQuota must be positive.", output);
        Assert.DoesNotContain("   at ", output); // no stack trace
    }

    [Fact]
    public async Task The_last_wrong_code_gets_its_result_before_the_disconnect()
    {
        await using var server = await TestServer.StartAsync(o => { o.OpenRegistration = false; o.RegistrationAttempts = 2; });
        var (raw, first) = await RawConnection.HandshakeAsync(server.Port, "guesser", TestClient.NewKey());
        await using var _ = raw;
        Assert.Equal((byte)FrameType.Welcome, first.Type);
        var seen = new List<(byte Type, byte[] Body)>();
        // Pipelined, with request ids: answered in order, each echoing its id.
        await raw.WriteRecordAsync([.. ControlFrames.Encode(new RegisterBody("00000000", RequestId: 7)), .. ControlFrames.Encode(new RegisterBody("00000001", RequestId: 8))]);
        var disconnect = await raw.ReadUntilClosedAsync(seen);
        Assert.Equal(ErrorCode.RegistrationFailed, disconnect?.Code);
        var results = seen.Where(f => f.Type == (byte)FrameType.RegisterResult)
            .Select(f => RegisterResultBody.TryParse(f.Body, out var r) ? (r.Status, r.RequestId) : ((RegisterStatus)(-1), 0UL)).ToList();
        Assert.Equal([(RegisterStatus.BadCode, 7UL), (RegisterStatus.BadCode, 8UL)], results);
        Assert.Equal((byte)FrameType.Disconnect, seen[^1].Type); // the result came first, the disconnect last
    }
}
