using System.Security.Cryptography;
using System.Text;

namespace FastChat.Client.Storage;

/// <summary>
/// Seals the device store's secrets (private keys, session state) with AES-256-GCM under the
/// store's data key. The slot a value belongs in (table and row) is the associated data, so a
/// sealed value moved to another row does not open there.
/// </summary>
internal sealed class SealedBox(byte[] dataKey) : IDisposable
{
    private const int NonceLength = 12, TagLength = 16;
    private readonly AesGcm _aes = new(dataKey, TagLength);

    public byte[] Seal(string slot, ReadOnlySpan<byte> plaintext)
    {
        var sealedValue = new byte[NonceLength + plaintext.Length + TagLength];
        var nonce = sealedValue.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(NonceLength, plaintext.Length), sealedValue.AsSpan(NonceLength + plaintext.Length), Encoding.UTF8.GetBytes(slot));
        return sealedValue;
    }

    public byte[] Open(string slot, ReadOnlySpan<byte> sealedValue)
    {
        if (sealedValue.Length < NonceLength + TagLength) throw new CryptographicException($"the stored {slot} is truncated");
        var plaintext = new byte[sealedValue.Length - NonceLength - TagLength];
        try
        {
            _aes.Decrypt(sealedValue[..NonceLength], sealedValue[NonceLength..^TagLength], sealedValue[^TagLength..], plaintext, Encoding.UTF8.GetBytes(slot));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new CryptographicException($"the stored {slot} does not open with this store's key (wrong passphrase, another store's key file, or tampered)");
        }
        return plaintext;
    }

    public void Dispose() => _aes.Dispose();
}
