namespace FastChat.Server.Media;

/// <summary>The "FastChat:Media" settings (protocol-spec/16-media.md).</summary>
public sealed class MediaOptions
{
    /// <summary>The media endpoint's port (HTTPS, HTTP/1.1 and HTTP/2): -1 = the client port + 3000 when the client port is fixed (+1000 is the peer port, +2000 the operator port), 0 = off.</summary>
    public int Port { get; set; } = -1;
    /// <summary>
    /// Where clients reach the endpoint (a CDN in front of it, say), e.g. "https://media.example.com";
    /// empty: https://LISTEN-ADDRESS:PORT (127.0.0.1 when listening on every interface).
    /// </summary>
    public string PublicUrl { get; set; } = "";
    /// <summary>"local" (files under the data directory) or "s3" (an S3-compatible store; see the S3 settings).</summary>
    public string Store { get; set; } = "local";
    public string S3ServiceUrl { get; set; } = "";
    public string S3Bucket { get; set; } = "fastchat-media";
    public string S3AccessKey { get; set; } = "";
    public string S3SecretKey { get; set; } = "";
    public string S3Region { get; set; } = "us-east-1";
    /// <summary>
    /// Hex, 32 bytes: the key signing upload and download URLs. Every node of a cluster must have
    /// the same one to accept each other's URLs; empty: one made for this data directory (media.key).
    /// </summary>
    public string SigningKey { get; set; } = "";
    /// <summary>A PFX for the endpoint (a real certificate); empty: a self-signed one, pinned by clients through the chat connection.</summary>
    public string CertificatePath { get; set; } = "";
    public string CertificatePassword { get; set; } = "";

    /// <summary>Largest encrypted file, bytes.</summary>
    public long MaxFileBytes { get; set; } = 100L * 1024 * 1024;
    /// <summary>Bytes one user may upload per UTC day (counted when tickets are issued).</summary>
    public long BytesPerUserPerDay { get; set; } = 1024L * 1024 * 1024;
    /// <summary>Largest body of one PATCH (chunk), bytes.</summary>
    public int MaxChunkBytes { get; set; } = 8 * 1024 * 1024;
    /// <summary>Days a blob is kept after it was stored; its download URLs expire with it.</summary>
    public double BlobLifetimeDays { get; set; } = 30;
    /// <summary>How long an upload URL is valid (and an unfinished upload kept).</summary>
    public TimeSpan TicketLifetime { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Upload tickets one connection may ask for per minute, and the burst.</summary>
    public int TicketsPerMinute { get; set; } = 30;
    public int TicketBurst { get; set; } = 10;

    public TimeSpan BlobLifetime => TimeSpan.FromDays(BlobLifetimeDays);

    public int EffectivePort(int clientPort) => Port >= 0 ? Port : clientPort > 0 && clientPort + 3000 <= 65535 ? clientPort + 3000 : 0;

    public void Validate()
    {
        if (Port is < -1 or > 65535) throw new ArgumentException("FastChat:Media:Port must be -1 (automatic), 0 (off) or a port.");
        if (Store is not ("local" or "s3")) throw new ArgumentException("FastChat:Media:Store must be \"local\" or \"s3\".");
        if (Store == "s3" && (S3ServiceUrl.Length == 0 || S3Bucket.Length == 0)) throw new ArgumentException("FastChat:Media:S3ServiceUrl and S3Bucket are needed for the s3 store.");
        if (SigningKey.Length != 0 && (SigningKey.Length != 64 || !SigningKey.All(Uri.IsHexDigit))) throw new ArgumentException("FastChat:Media:SigningKey must be 64 hex digits.");
        if (MaxFileBytes < 1 || BytesPerUserPerDay < MaxFileBytes) throw new ArgumentException("FastChat:Media:MaxFileBytes must be positive and at most BytesPerUserPerDay.");
        if (MaxChunkBytes < 64 * 1024) throw new ArgumentException("FastChat:Media:MaxChunkBytes must be at least 64 KiB.");
        if (!(BlobLifetimeDays > 0) || TicketLifetime <= TimeSpan.Zero) throw new ArgumentException("FastChat:Media:BlobLifetimeDays and TicketLifetime must be positive.");
        if (TicketsPerMinute < 1 || TicketBurst < 1) throw new ArgumentException("FastChat:Media:TicketsPerMinute and TicketBurst must be positive.");
    }
}
