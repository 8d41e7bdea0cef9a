namespace FastChat.Server.Prekeys;

/// <summary>Prekey directory limits (Hosting maps them from the FastChat:Prekey* settings).</summary>
internal sealed record PrekeyOptions
{
    /// <summary>One-time prekeys one upload may add.</summary>
    public int MaxPerUpload { get; init; } = 100;
    /// <summary>One-time prekeys one device may have in stock.</summary>
    public int MaxStock { get; init; } = 200;
    /// <summary>Below this stock the owner is told to top up (PREKEY_STATUS notice).</summary>
    public int LowWater { get; init; } = 20;
    /// <summary>A signed prekey older than this is reported due for rotation.</summary>
    public TimeSpan SignedPrekeyRotation { get; init; } = TimeSpan.FromDays(7);
    /// <summary>One-time prekeys one device hands out per hour at most; past it, bundles go without one (draining defence).</summary>
    public int HandoutsPerHour { get; init; } = 100;
    /// <summary>Bundle fetches per requesting user: the burst, and tokens added per minute.</summary>
    public int FetchBurst { get; init; } = 50;
    public int FetchesPerMinute { get; init; } = 20;
    /// <summary>Uploads per device: the burst, and tokens added per minute.</summary>
    public int UploadBurst { get; init; } = 10;
    public int UploadsPerMinute { get; init; } = 2;
}
