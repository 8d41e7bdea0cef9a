using System.Security.Cryptography;

namespace FastChat.Client.Media;

/// <summary>
/// HTTP to a media endpoint: HTTP/2 where it can (HTTP/1.1 otherwise) over TLS, with the endpoint's
/// certificate pinned by the SHA-256 the chat server gave (a self-signed one), or validated normally.
/// </summary>
public static class MediaHttp
{
    public static HttpClient Create(byte[] certificatePin) => new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            certificatePin.Length == 32
                ? certificate is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(certificate.GetRawCertData()), certificatePin)
                : errors == System.Net.Security.SslPolicyErrors.None },
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    })
    {
        DefaultRequestVersion = System.Net.HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        Timeout = TimeSpan.FromMinutes(5),
    };
}
