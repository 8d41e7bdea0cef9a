using System.Security.Cryptography;
using NSec.Cryptography;

namespace FastChat.Client.Storage;

/// <summary>
/// Where the device store's data key comes from. On Linux and macOS .NET has no system keystore,
/// so "as well as the platform allows" means one of: a passphrase (Argon2id, libsodium's
/// moderate limits: the key is never on disk), or a key file beside the database readable by the
/// owner only (0600: a copied database alone opens nothing, but the same user can read both).
/// </summary>
public abstract class StoreProtection
{
    private StoreProtection() { }

    internal abstract byte[] DataKey(ReadOnlySpan<byte> salt, bool creating);

    /// <summary>The data key is derived from <paramref name="passphrase"/> with Argon2id (salt in the store).</summary>
    public static StoreProtection Passphrase(string passphrase) => new FromPassphrase(passphrase);

    /// <summary>The data key is random, in <paramref name="path"/> (created 0600 on first use).</summary>
    public static StoreProtection KeyFile(string path) => new FromKeyFile(path);

    private sealed class FromPassphrase(string passphrase) : StoreProtection
    {
        // libsodium's "moderate" profile: 3 passes over 256 MiB; about a second, once per open.
        private static readonly Argon2Parameters Moderate = new() { DegreeOfParallelism = 1, MemorySize = 256 * 1024, NumberOfPasses = 3 };

        internal override byte[] DataKey(ReadOnlySpan<byte> salt, bool creating) =>
            PasswordBasedKeyDerivationAlgorithm.Argon2id(Moderate).DeriveBytes(passphrase, salt[..16], 32);
    }

    private sealed class FromKeyFile(string path) : StoreProtection
    {
        internal override byte[] DataKey(ReadOnlySpan<byte> salt, bool creating)
        {
            if (File.Exists(path))
            {
                var key = File.ReadAllBytes(path);
                return key.Length == 32 ? key : throw new CryptographicException($"{path} is not a FastChat store key (32 bytes)");
            }
            if (!creating) throw new CryptographicException($"the store's key file {path} is missing");
            var fresh = RandomNumberGenerator.GetBytes(32);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new FileStream(path, options)) file.Write(fresh);
            return fresh;
        }
    }
}
