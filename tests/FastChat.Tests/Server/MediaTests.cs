using System.Net;
using System.Security.Cryptography;
using FastChat.Client;
using FastChat.Client.Encryption;
using FastChat.Client.Media;
using FastChat.Protocol.Frames;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace FastChat.Tests.Server;

/// <summary>Media over real HTTPS on loopback (protocol-spec/16-media.md): tickets, resumable uploads, signed downloads, the blob stores.</summary>
public class MediaTests
{
    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    private static Task<TestServer> StartAsync(Action<FastChat.Server.Hosting.FastChatOptions>? configure = null, TimeProvider? time = null) =>
        TestServer.StartAsync(options =>
        {
            options.Media.Port = FreePorts.Next();
            configure?.Invoke(options);
        }, time: time);

    /// <summary>An encrypted file of <paramref name="bytes"/> random bytes in <paramref name="folder"/>: its keys, plaintext and ciphertext paths.</summary>
    private static async Task<(MediaKeys Keys, string Plain, string Encrypted)> EncryptedFileAsync(string folder, int bytes)
    {
        var plain = Path.Combine(folder, "photo.jpg");
        await File.WriteAllBytesAsync(plain, RandomNumberGenerator.GetBytes(bytes));
        var encrypted = Path.Combine(folder, "photo.enc");
        await using var input = File.OpenRead(plain);
        await using var output = File.Create(encrypted);
        return (await MediaCipher.EncryptAsync(input, output), plain, encrypted);
    }

    [Fact]
    public async Task A_file_goes_up_resumes_after_a_cut_and_comes_down_whole_over_http2_and_http11()
    {
        await using var server = await StartAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        using var folder = new TempDirectory();
        var (keys, plain, encrypted) = await EncryptedFileAsync(folder, 700_000);

        // Cut off after three 64 KiB chunks (the client gives up as a dropped connection would).
        using var cut = new CancellationTokenSource();
        var transfer = new MediaTransfer(alice.Client) { ChunkBytes = 64 * 1024 };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            transfer.UploadAsync(encrypted, new SyncProgress(offset => { if (offset >= 3 * 64 * 1024) cut.Cancel(); }), cut.Token));
        // A new ticket for the same ciphertext carries on from where the server is.
        var resumed = await transfer.UploadAsync(encrypted);
        Assert.InRange(resumed.ResumedFrom, 3 * 64 * 1024, keys.EncryptedLength - 1);
        Assert.False(resumed.AlreadyStored);
        Assert.Equal(32, resumed.CertificatePin.Length);

        // Content-addressed: the same ciphertext again is not uploaded again.
        var again = await transfer.UploadAsync(encrypted);
        Assert.True(again.AlreadyStored);

        var pointer = new MediaPointer(resumed.DownloadUrl, keys, "photo.jpg", "image/jpeg", resumed.CertificatePin);
        var output = Path.Combine(folder, "received.jpg");
        await MediaTransfer.DownloadAsync(pointer, Path.Combine(folder, "received.enc"), output);
        Assert.Equal(await File.ReadAllBytesAsync(plain), await File.ReadAllBytesAsync(output));

        // Both protocols, on the one port; a range; CDN-cacheable.
        using var http = MediaHttp.Create(resumed.CertificatePin);
        foreach (var version in new[] { HttpVersion.Version20, HttpVersion.Version11 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, resumed.DownloadUrl) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, 199);
            using var response = await http.SendAsync(request);
            Assert.Equal((HttpStatusCode.PartialContent, version), (response.StatusCode, response.Version));
            Assert.Equal((await File.ReadAllBytesAsync(encrypted))[100..200], await response.Content.ReadAsByteArrayAsync());
            Assert.Contains("immutable", response.Headers.CacheControl!.ToString());
            Assert.Equal($"bytes 100-199/{keys.EncryptedLength}", response.Content.Headers.ContentRange!.ToString());
        }
    }

    [Fact]
    public async Task Tampered_and_expired_urls_are_refused_and_blobs_go_at_the_end_of_their_lifetime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await StartAsync(options => options.Media.BlobLifetimeDays = 2, time);
        var aliceKey = TestClient.NewKey();
        var alice = await TestClient.ConnectAsync(server.Port, "alice", aliceKey);
        using var folder = new TempDirectory();
        var (keys, _, encrypted) = await EncryptedFileAsync(folder, 10_000);
        var uploaded = await new MediaTransfer(alice.Client).UploadAsync(encrypted);
        using var http = MediaHttp.Create(uploaded.CertificatePin);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(uploaded.DownloadUrl)).StatusCode);

        string signature = uploaded.DownloadUrl[(uploaded.DownloadUrl.IndexOf("&s=") + 3)..];
        string flipped = (signature[0] == 'A' ? 'B' : 'A') + signature[1..];
        var tampered = uploaded.DownloadUrl.Replace("&s=" + signature, "&s=" + flipped);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(tampered)).StatusCode);
        // A later expiry with the old signature is a forgery too.
        var e = System.Text.RegularExpressions.Regex.Match(uploaded.DownloadUrl, "e=([0-9]+)").Groups[1].Value;
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(uploaded.DownloadUrl.Replace("e=" + e, "e=" + (long.Parse(e) + 86_400_000)))).StatusCode);
        var otherBlob = uploaded.DownloadUrl.Replace(Convert.ToHexStringLower(keys.EncryptedSha256), new string('0', 64));
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(otherBlob)).StatusCode);

        time.Advance(TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Gone, (await http.GetAsync(uploaded.DownloadUrl)).StatusCode);
        // The sweep (it runs on the same clock) deletes the blob: a new ticket for it must upload again.
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromHours(1));
            return !Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "media", "blobs"), "*", SearchOption.AllDirectories).Any();
        }, because: "the blob outlived its lifetime");
        await alice.DisposeAsync(); // two days of silence: its connection was closed as idle
        await using var later = await TestClient.ConnectAsync(server.Port, "alice", aliceKey);
        Assert.False((await new MediaTransfer(later.Client).UploadAsync(encrypted)).AlreadyStored);
    }

    [Fact]
    public async Task Limits_on_size_and_daily_bytes_are_answered_and_bad_uploads_refused()
    {
        await using var server = await StartAsync(options => { options.Media.MaxFileBytes = 100_000; options.Media.BytesPerUserPerDay = 150_000; });
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        Assert.Equal(MediaStatusCode.TooLarge, (await alice.Client.RequestMediaUploadAsync(100_001, new byte[32])).Status);
        var first = await alice.Client.RequestMediaUploadAsync(90_000, RandomNumberGenerator.GetBytes(32));
        Assert.Equal(MediaStatusCode.Upload, first.Status);
        var second = await alice.Client.RequestMediaUploadAsync(90_000, RandomNumberGenerator.GetBytes(32));
        Assert.Equal(MediaStatusCode.QuotaExceeded, second.Status);

        // Bytes that are not the ticket's: the upload is refused and discarded.
        using var http = MediaHttp.Create(first.CertificateSha256);
        using var patch = new HttpRequestMessage(HttpMethod.Patch, first.UploadUrl) { Content = new ByteArrayContent(new byte[90_000]) };
        patch.Content.Headers.ContentType = new("application/offset+octet-stream");
        patch.Headers.Add("Upload-Offset", "0");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await http.SendAsync(patch)).StatusCode);
        // A wrong offset is told where the upload stands; an upload URL for another user is refused.
        using var wrong = new HttpRequestMessage(HttpMethod.Patch, first.UploadUrl) { Content = new ByteArrayContent(new byte[10]) };
        wrong.Content.Headers.ContentType = new("application/offset+octet-stream");
        wrong.Headers.Add("Upload-Offset", "5");
        var conflict = await http.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("0", conflict.Headers.GetValues("Upload-Offset").Single());
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, first.UploadUrl.Replace("u=alice", "u=mallory")))).StatusCode);
        Assert.True(alice.Client.IsConnected);
    }

    [Fact]
    public async Task A_photo_sent_in_a_chat_opens_at_the_other_end_from_an_s3_compatible_store()
    {
        await using var s3 = await S3rverProcess.StartAsync();
        await using var server = await StartAsync(options =>
        {
            options.Media.Store = "s3";
            options.Media.S3ServiceUrl = s3.ServiceUrl;
            options.Media.S3AccessKey = "S3RVER";
            options.Media.S3SecretKey = "S3RVER";
        });
        using var folder = new TempDirectory();
        var (aliceStore, aliceConnection) = await ChatDeviceAsync(server.Port, "alice", folder);
        var (bobStore, bobConnection) = await ChatDeviceAsync(server.Port, "bob", folder);
        using var aliceChat = new SecureChat(aliceConnection.Client, aliceStore);
        using var bobChat = new SecureChat(bobConnection.Client, bobStore);
        await aliceChat.PublishAsync();
        await bobChat.PublishAsync();
        var plain = Path.Combine(folder, "cat.png");
        await File.WriteAllBytesAsync(plain, RandomNumberGenerator.GetBytes(300_000));

        await aliceChat.SendFileAsync("bob", plain, contentType: "image/png");
        var opened = bobChat.Open((await bobConnection.WaitForMessagesAsync(1))[0]);
        Assert.Equal(OpenedStatus.Encrypted, opened.Status);
        var pointer = Assert.IsType<MediaPointer>(opened.Media);
        Assert.Equal(("cat.png", "image/png", 300_000L), (pointer.FileName, pointer.ContentType, pointer.Keys.PlainLength));
        var output = Path.Combine(folder, "received.png");
        await MediaTransfer.DownloadAsync(pointer, Path.Combine(folder, "cat.enc"), output);
        Assert.Equal(await File.ReadAllBytesAsync(plain), await File.ReadAllBytesAsync(output));
        Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "media", "blobs")), "the blob went to the S3 store, not the local one");

        // A different pointer key cannot open it: the MAC refuses.
        var forged = pointer with { Keys = pointer.Keys with { MediaKey = RandomNumberGenerator.GetBytes(32) } };
        await Assert.ThrowsAsync<MediaIntegrityException>(() => MediaTransfer.DownloadAsync(forged, Path.Combine(folder, "cat2.enc"), Path.Combine(folder, "forged.png")));
        Assert.False(File.Exists(Path.Combine(folder, "forged.png")));
    }

    private static async Task<(FastChat.Client.Storage.DeviceStore, TestClient)> ChatDeviceAsync(int port, string user, string folder)
    {
        var store = FastChat.Client.Storage.DeviceStore.Create(Path.Combine(folder, $"{user}.db"), user,
            FastChat.Client.Storage.StoreProtection.KeyFile(Path.Combine(folder, $"{user}.key")));
        return (store, await TestClient.ConnectAsync(port, user, store.NoisePrivateKey));
    }
}
