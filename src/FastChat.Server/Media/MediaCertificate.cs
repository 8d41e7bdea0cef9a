using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastChat.Server.Media;

/// <summary>
/// The media endpoint's TLS certificate: the operator's PFX, or a self-signed ECDSA P-256 one kept
/// in the data directory (media-cert.pfx). A self-signed certificate's SHA-256 goes to clients in
/// every MEDIA_TICKET, over the Noise-authenticated chat connection, and they pin it.
/// </summary>
internal static class MediaCertificate
{
    public static (X509Certificate2 Certificate, byte[] Pin) Load(MediaOptions options, string dataDirectory, string publicHost)
    {
        if (options.CertificatePath.Length > 0)
            return (X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword), []);
        var path = Path.Combine(dataDirectory, "media-cert.pfx");
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(dataDirectory);
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=fastchat-media", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            if (IPAddress.TryParse(publicHost, out var ip)) names.AddIpAddress(ip);
            else if (publicHost.Length > 0) names.AddDnsName(publicHost);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
            File.WriteAllBytes(path, created.Export(X509ContentType.Pfx));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, null);
        return (certificate, SHA256.HashData(certificate.RawData));
    }
}
