using System.Security.Cryptography.X509Certificates;
using FastChat.Server.Media;
using FastChat.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Server.Hosting;

/// <summary>The media endpoint's services (protocol-spec/16-media.md), when it has a port.</summary>
internal static class MediaRegistration
{
    /// <returns>The endpoint's TLS certificate, for Kestrel.</returns>
    public static X509Certificate2 AddMediaServices(this IServiceCollection services, FastChatOptions options, int port)
    {
        var media = options.Media;
        string host = options.ListenAddress is "0.0.0.0" or "::" ? "127.0.0.1" : options.ListenAddress;
        string publicBase = media.PublicUrl.Length > 0 ? media.PublicUrl : $"https://{host}:{port}";
        var (certificate, pin) = MediaCertificate.Load(media, options.DataDirectory, new Uri(publicBase).Host);
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var signer = new MediaSigner(media, options.DataDirectory);
            IBlobStore blobs = media.Store == "s3" ? new S3BlobStore(media) : new LocalBlobStore(Path.Combine(options.DataDirectory, "media", "blobs"), time);
            var uploads = new UploadArea(Path.Combine(options.DataDirectory, "media", "partial"), blobs);
            var quota = new MediaQuota(sp.GetRequiredService<FasterStore>(), sp.GetRequiredService<GroupCommit>(), sp.GetRequiredService<IOwnershipGate>(), media, time);
            return new MediaService(media, new MediaUrls(signer, publicBase), signer, blobs, uploads, quota, pin, time);
        });
        services.AddHostedService<MediaSweeper>();
        return certificate;
    }
}
