using System.Text;
using FastChat.Client.Encryption;
using FastChat.Signal.Sessions;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.E2E;

/// <summary>
/// What a server's disk and memory hold after an end-to-end encrypted conversation (some of it
/// queued offline, some delivered live): the ciphertexts and the routing metadata, never a plaintext.
/// A control message sent without encryption must be found, so the search is known to work.
/// </summary>
public class ServerSeesOnlyCiphertextTests
{
    [Fact]
    public async Task Neither_the_data_directory_nor_a_memory_dump_of_the_server_holds_a_plaintext()
    {
        using var data = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(data);
        string tag = Guid.NewGuid().ToString("N")[..8];
        var secrets = Enumerable.Range(0, 5).Select(i => $"e2e-secret-{tag}-{i}: meet me at the old mill").ToArray();
        string control = $"control-plaintext-{tag}, sent without encryption";
        string alice = $"alice-{tag}", bob = $"bob-{tag}";

        var aliceKeys = new SignalDevice();
        var bobKeys = new SignalDevice();
        var bobKey = TestClient.NewKey();
        await using var aliceClient = await TestClient.ConnectAsync(server.Port, alice);
        await aliceKeys.PublishAsync(aliceClient.Client, oneTime: 5);
        await using (var offline = await TestClient.ConnectAsync(server.Port, bob, bobKey))
            await bobKeys.PublishAsync(offline.Client, oneTime: 5);
        await using (var dave = await TestClient.ConnectAsync(server.Port, $"dave-{tag}")) { } // registered, then offline
        await using var carol = await TestClient.ConnectAsync(server.Port, $"carol-{tag}");
        await carol.Client.SendAsync($"dave-{tag}", Encoding.UTF8.GetBytes(control)); // stays queued for dave

        // alice writes to bob while he is offline (queued on disk), then he comes online and answers live.
        var bundles = await aliceClient.Client.FetchPrekeysAsync(bob);
        new SessionBuilder(aliceKeys.Store, bob).Process(PrekeyMaterial.ToSignal(DeviceLists.CheckBundles(bundles)[0]));
        var toBob = new SessionCipher(aliceKeys.Store, bob);
        for (int i = 0; i < 3; i++) await aliceClient.Client.SendAsync(bob, toBob.Encrypt(Encoding.UTF8.GetBytes(secrets[i])).Body);
        await using var bobClient = await TestClient.ConnectAsync(server.Port, bob, bobKey);
        var fromAlice = new SessionCipher(bobKeys.Store, alice);
        var atBob = await bobClient.WaitForMessagesAsync(3);
        Assert.Equal(secrets[..3], atBob.Select(m => Encoding.UTF8.GetString(fromAlice.DecryptPreKeyMessage(m.Payload))));
        for (int i = 3; i < 5; i++) await bobClient.Client.SendAsync(alice, fromAlice.Encrypt(Encoding.UTF8.GetBytes(secrets[i])).Body);
        var atAlice = await aliceClient.WaitForMessagesAsync(2);
        Assert.Equal(secrets[3..], atAlice.Select(m => Encoding.UTF8.GetString(toBob.DecryptMessage(m.Payload))));

        // Every plaintext as UTF-8 and as UTF-16 (how .NET would hold it as a string); then the controls.
        var needles = secrets.SelectMany(s => new[] { Encoding.UTF8.GetBytes(s), Encoding.Unicode.GetBytes(s) }).ToList();
        int controls = needles.Count;
        needles.Add(Encoding.UTF8.GetBytes(control));
        needles.Add(Encoding.ASCII.GetBytes(bob)); // routing metadata the server does hold
        var inMemory = ProcessMemory.FindInMemory(server.Pid, needles);
        var onDisk = ProcessMemory.FindInFiles(data.Path, needles);

        Assert.True(inMemory.Contains(controls) && onDisk.Contains(controls), "the unencrypted control message was not found: the search does not work");
        Assert.True(inMemory.Contains(controls + 1) && onDisk.Contains(controls + 1), "a user name was not found: the search does not work");
        var leaked = Enumerable.Range(0, controls).Where(i => inMemory.Contains(i) || onDisk.Contains(i)).Select(i => secrets[i / 2]).Distinct().ToArray();
        Assert.True(leaked.Length == 0, "plaintext found on the server: " + string.Join("; ", leaked));
    }
}
