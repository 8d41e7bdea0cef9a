using System.Security.Cryptography;
using FastChat.Client.Media;
using FastChat.Protocol.Frames;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Cluster;

/// <summary>Media on a 3-node mesh: a file uploaded at the sender's home is fetched by a recipient homed on another node.</summary>
public class MeshMediaTests
{
    [Fact]
    public async Task A_file_uploaded_on_one_node_is_downloaded_by_a_user_of_another()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var cluster = await TestCluster.StartMeshAsync(etcd, 3);
        await cluster.WaitForMeshAsync();
        var users = new List<TestClient>();
        using var folder = new TempDirectory();
        try
        {
            for (int i = 0; i < 64 && users.Select(u => u.Client.Server.Port).Distinct().Count() < 2; i++)
                users.Add(await TestClient.ConnectAsync(cluster.Nodes[0].Port, $"mm{i}"));
            var sender = users[0];
            var recipient = users.First(u => u.Client.Server.Port != sender.Client.Server.Port);

            var plain = Path.Combine(folder, "doc.pdf");
            await File.WriteAllBytesAsync(plain, RandomNumberGenerator.GetBytes(150_000));
            var encrypted = Path.Combine(folder, "doc.enc");
            MediaKeys keys;
            await using (var input = File.OpenRead(plain))
            await using (var output = File.Create(encrypted))
                keys = await MediaCipher.EncryptAsync(input, output);
            var uploaded = await new MediaTransfer(sender.Client).UploadAsync(encrypted);
            Assert.Contains($":{sender.Client.Server.Port + 3000}/", uploaded.DownloadUrl); // the sender's home took the upload

            // The pointer through the mesh (in the clear here: this test is about the servers, not E2E).
            var pointer = new MediaPointer(uploaded.DownloadUrl, keys, "doc.pdf", "application/pdf", uploaded.CertificatePin);
            await sender.Client.SendAsync(recipient.Client.UserName, pointer.Encode()).WaitAsync(TimeSpan.FromSeconds(15));
            var received = (await recipient.WaitForMessagesAsync(1, TimeSpan.FromSeconds(15)))[0];
            Assert.True(MediaPointer.TryDecode(received.Payload, out var got));
            var saved = Path.Combine(folder, "saved.pdf");
            await MediaTransfer.DownloadAsync(got, Path.Combine(folder, "saved.enc"), saved);
            Assert.Equal(await File.ReadAllBytesAsync(plain), await File.ReadAllBytesAsync(saved));
        }
        finally
        {
            foreach (var user in users) await user.DisposeAsync();
        }
    }
}
