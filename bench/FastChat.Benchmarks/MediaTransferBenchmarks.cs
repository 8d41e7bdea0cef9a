using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using FastChat.Client;
using FastChat.Client.Media;
using FastChat.Protocol.Frames;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Benchmarks;

/// <summary>
/// The media endpoint over real HTTPS on loopback (HTTP/2, the self-signed certificate pinned):
/// one 16 MiB encrypted file uploaded in 1 MiB PATCH chunks (the server writes each chunk, then
/// checks the whole file's SHA-256 and stores it), and downloaded whole. Client and server share
/// this process and the machine's two cores, so the time per MiB bounds the server's CPU per MiB
/// from above. Before each upload the stored blob is deleted (blobs are content-addressed: the
/// same bytes would not be uploaded again).
/// </summary>
public class MediaTransferBenchmarks
{
    private const int Size = 16 * 1024 * 1024;
    private const int Chunk = 1024 * 1024;
    private BenchServer _host = null!;
    private FastChatClient _client = null!;
    private HttpClient _http = null!;
    private byte[] _file = null!;
    private byte[] _digest = null!;
    private string _uploadUrl = "";
    private string _downloadUrl = "";
    private string _blobs = "";
    private readonly byte[] _sink = new byte[81920];

    [GlobalSetup]
    public void Setup()
    {
        int mediaPort = FreePort();
        _host = new BenchServer(o =>
        {
            o.Media.Port = mediaPort;
            o.OpenRegistration = true;
            o.Media.BytesPerUserPerDay = long.MaxValue / 2;
            o.Media.TicketsPerMinute = 100_000;
            o.Media.TicketBurst = 100_000;
        });
        _host.App.StartAsync().GetAwaiter().GetResult();
        int chatPort = _host.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("[::]", "localhost")).Port).First(p => p != mediaPort);
        _blobs = Path.Combine(_host.DataDirectory, "media", "blobs");
        _client = new FastChatClient(new FastChatClientOptions { Port = chatPort, UserName = "alice", StaticPrivateKey = RandomNumberGenerator.GetBytes(32) });
        if (_client.ConnectAsync().GetAwaiter().GetResult().State == WelcomeState.RegistrationRequired) _client.RegisterAsync(null).GetAwaiter().GetResult();
        _file = RandomNumberGenerator.GetBytes(Size);
        _digest = SHA256.HashData(_file);
        NewTicket();
        _http = MediaHttp.Create(_lastPin);
        Upload(); // stored once, for the downloads
    }

    private byte[] _lastPin = [];

    private void NewTicket()
    {
        if (Directory.Exists(_blobs)) Directory.Delete(_blobs, recursive: true);
        var ticket = _client.RequestMediaUploadAsync(Size, _digest).GetAwaiter().GetResult();
        if (ticket.Status != MediaStatusCode.Upload) throw new InvalidOperationException($"{ticket.Status}: {ticket.Message}");
        (_uploadUrl, _downloadUrl, _lastPin) = (ticket.UploadUrl, ticket.DownloadUrl, ticket.CertificateSha256);
    }

    [IterationSetup(Target = nameof(Upload16MiB))]
    public void BeforeUpload() => NewTicket();

    [Benchmark]
    public long Upload16MiB() => Upload();

    private long Upload()
    {
        long offset = 0;
        while (offset < Size)
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, _uploadUrl) { Content = new ByteArrayContent(_file, (int)offset, Chunk) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
            request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = _http.Send(request);
            if (response.StatusCode != HttpStatusCode.NoContent) throw new InvalidOperationException($"upload answered {(int)response.StatusCode}");
            offset += Chunk;
        }
        return offset;
    }

    [Benchmark]
    public long Download16MiB()
    {
        using var response = _http.Send(new HttpRequestMessage(HttpMethod.Get, _downloadUrl), HttpCompletionOption.ResponseHeadersRead);
        using var body = response.Content.ReadAsStream();
        long total = 0;
        int n;
        while ((n = body.Read(_sink)) > 0) total += n;
        if (total != Size) throw new InvalidOperationException($"downloaded {total} bytes");
        return total;
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _http.Dispose();
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _host.App.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
    }
}
