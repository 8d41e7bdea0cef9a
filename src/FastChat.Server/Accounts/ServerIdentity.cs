using System.Runtime.InteropServices;
using FastChat.Protocol.Crypto;
using NSec.Cryptography;

namespace FastChat.Server.Accounts;

/// <summary>
/// The server's long-lived static Noise key, kept in <c>server.key</c> (raw 32-byte X25519
/// private key, mode 0600) in the data directory. Created with NSec on first start; the raw
/// bytes sit in one pinned array for the stateless DH calls of each handshake.
/// </summary>
public sealed class ServerIdentity : IDisposable
{
    private readonly byte[] _privateKey = GC.AllocateArray<byte>(32, pinned: true);

    public byte[] PublicKey { get; } = new byte[32];
    public ReadOnlySpan<byte> PrivateKey => _privateKey;

    private ServerIdentity(ReadOnlySpan<byte> privateKey)
    {
        privateKey.CopyTo(_privateKey);
        Sodium.X25519PublicKey(_privateKey, PublicKey);
    }

    public static ServerIdentity LoadOrCreate(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, "server.key");
        if (File.Exists(path))
        {
            var raw = File.ReadAllBytes(path);
            if (raw.Length != 32) throw new InvalidDataException($"{path} must hold exactly 32 bytes.");
            try { return new ServerIdentity(raw); }
            finally { Sodium.Zero(raw); }
        }
        using var key = Key.Create(KeyAgreementAlgorithm.X25519,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var exported = key.Export(KeyBlobFormat.RawPrivateKey);
        try
        {
            WritePrivate(path, exported);
            return new ServerIdentity(exported);
        }
        finally { Sodium.Zero(exported); }
    }

    internal static void WritePrivate(string path, byte[] contents)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, contents);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose() => Sodium.Zero(_privateKey);
}
