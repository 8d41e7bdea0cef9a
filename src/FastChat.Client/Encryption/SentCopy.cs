using System.Text;
using FastChat.Protocol.Wire;

namespace FastChat.Client.Encryption;

/// <summary>The body of a <see cref="EnvelopeKind.SentCopy"/> envelope: recipient length u8 | recipient (ASCII) | text (UTF-8).</summary>
public static class SentCopy
{
    public static byte[] Encode(string to, string text)
    {
        var body = new byte[1 + to.Length + Encoding.UTF8.GetByteCount(text)];
        body[0] = (byte)Encoding.ASCII.GetBytes(to, body.AsSpan(1));
        Encoding.UTF8.GetBytes(text, body.AsSpan(1 + to.Length));
        return body;
    }

    public static bool TryDecode(ReadOnlySpan<byte> body, out string to, out string text)
    {
        (to, text) = (string.Empty, string.Empty);
        if (body.IsEmpty || body.Length < 1 + body[0] || !UserName.IsValid(body.Slice(1, body[0]))) return false;
        to = Encoding.ASCII.GetString(body.Slice(1, body[0]));
        text = Encoding.UTF8.GetString(body[(1 + body[0])..]);
        return true;
    }
}
