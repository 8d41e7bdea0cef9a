using System.Text;
using FastChat.Protocol.Crypto;
using FastChat.Protocol.Noise;

namespace FastChat.Server.Accounts;

/// <summary>
/// One-time registration codes without a table: code = 8 digits of HMAC-BLAKE2b(secret,
/// "fastchat-register" | user | day). Valid the day issued and the next; one-time because a
/// name, once registered, is taken. The admin command derives the same code from the same
/// secret file, so it needs no connection to the running server.
/// </summary>
public sealed class RegistrationCodes
{
    private readonly byte[] _secret;
    private readonly TimeProvider _time;

    public RegistrationCodes(string dataDirectory, TimeProvider time)
    {
        _time = time;
        var path = Path.Combine(dataDirectory, "registration.secret");
        Directory.CreateDirectory(dataDirectory);
        if (!File.Exists(path))
        {
            var fresh = new byte[32];
            Sodium.RandomBytes(fresh);
            ServerIdentity.WritePrivate(path, fresh);
        }
        _secret = File.ReadAllBytes(path);
        if (_secret.Length != 32) throw new InvalidDataException($"{path} must hold exactly 32 bytes.");
    }

    public string Issue(string user) => Compute(user, Day(_time.GetUtcNow()));

    public bool Verify(string user, string code)
    {
        long today = Day(_time.GetUtcNow());
        return FixedEquals(code, Compute(user, today)) | FixedEquals(code, Compute(user, today - 1));
    }

    private static long Day(DateTimeOffset time) => time.ToUnixTimeSeconds() / 86400;

    private string Compute(string user, long day)
    {
        var data = Encoding.ASCII.GetBytes($"fastchat-register|{user}|{day}");
        Span<byte> mac = stackalloc byte[NoiseConstants.HashLength];
        NoiseHash.Hmac(_secret, data, default, mac);
        ulong value = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(mac);
        return (value % 100_000_000UL).ToString("D8");
    }

    private static bool FixedEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
