namespace FastChat.Protocol.Wire;

/// <summary>
/// The 8 plaintext bytes each side sends before the handshake:
/// client <c>"FCHT" min max 0 0</c>, server <c>"FCHT" chosen status 0 0</c>.
/// Both are bound into the Noise prologue, so a tampered negotiation fails the handshake.
/// </summary>
public static class Preamble
{
    public const int Length = 8;
    public const byte CurrentVersion = 1;
    public const byte MinSupportedVersion = 1;
    public const byte MaxSupportedVersion = 1;

    public static ReadOnlySpan<byte> Magic => "FCHT"u8;
    public static ReadOnlySpan<byte> PrologueLabel => "FastChat"u8;

    public static void WriteClient(Span<byte> destination, byte minVersion = MinSupportedVersion, byte maxVersion = MaxSupportedVersion)
    {
        Magic.CopyTo(destination);
        destination[4] = minVersion;
        destination[5] = maxVersion;
        destination[6] = 0;
        destination[7] = 0;
    }

    public static void WriteServer(Span<byte> destination, byte chosenVersion, PreambleStatus status)
    {
        Magic.CopyTo(destination);
        destination[4] = chosenVersion;
        destination[5] = (byte)status;
        destination[6] = 0;
        destination[7] = 0;
    }

    /// <summary>Server side: picks the highest version both support.</summary>
    public static PreambleStatus Negotiate(ReadOnlySpan<byte> clientPreamble, out byte version)
    {
        version = 0;
        if (clientPreamble.Length < Length || !clientPreamble[..4].SequenceEqual(Magic)) return PreambleStatus.BadPreamble;
        byte min = clientPreamble[4], max = clientPreamble[5];
        if (min > max) return PreambleStatus.BadPreamble;
        byte best = Math.Min(max, MaxSupportedVersion);
        if (best < Math.Max(min, MinSupportedVersion)) return PreambleStatus.UnsupportedVersion;
        version = best;
        return PreambleStatus.Ok;
    }

    /// <summary>Client side: reads the server's answer.</summary>
    public static PreambleStatus ReadServer(ReadOnlySpan<byte> serverPreamble, out byte version)
    {
        version = 0;
        if (serverPreamble.Length < Length || !serverPreamble[..4].SequenceEqual(Magic)) return PreambleStatus.BadPreamble;
        version = serverPreamble[4];
        return (PreambleStatus)serverPreamble[5];
    }

    /// <summary>Prologue = "FastChat" || client preamble || server preamble.</summary>
    public static byte[] BuildPrologue(ReadOnlySpan<byte> clientPreamble, ReadOnlySpan<byte> serverPreamble)
    {
        var prologue = new byte[PrologueLabel.Length + 2 * Length];
        PrologueLabel.CopyTo(prologue);
        clientPreamble[..Length].CopyTo(prologue.AsSpan(PrologueLabel.Length));
        serverPreamble[..Length].CopyTo(prologue.AsSpan(PrologueLabel.Length + Length));
        return prologue;
    }
}

public enum PreambleStatus : byte
{
    Ok = 0,
    UnsupportedVersion = 1,
    BadPreamble = 2,
    ServerBusy = 3,
}
