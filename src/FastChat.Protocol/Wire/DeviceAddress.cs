namespace FastChat.Protocol.Wire;

/// <summary>
/// Where one device of an account is reached (protocol-spec/13-devices.md): the primary (device 1)
/// by the bare user name, a companion as <c>user/n</c> with n from 2 to
/// <see cref="ProtocolLimits.MaxDevicesPerUser"/> in decimal. DELIVER names the sending device this
/// way, and the server keys each device's queue and sender state by it. User names never contain
/// '/', so the account is the part before it, and every device of an account lives in the
/// account's partition.
/// </summary>
public static class DeviceAddress
{
    public const byte Primary = 1;
    public const byte Separator = (byte)'/';

    /// <summary>The longest address: a 32-byte name, '/', two digits.</summary>
    public const int MaxLength = UserName.MaxLength + 3;

    public static string Format(string user, byte device) => device == Primary ? user : $"{user}/{device}";

    /// <summary>Writes <paramref name="user"/>'s address for <paramref name="device"/> without allocating; returns its length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> user, byte device)
    {
        user.CopyTo(destination);
        if (device == Primary) return user.Length;
        int at = user.Length;
        destination[at++] = Separator;
        if (device >= 10) destination[at++] = (byte)('0' + device / 10);
        destination[at++] = (byte)('0' + device % 10);
        return at;
    }

    /// <summary>The account part: everything before '/', or the whole address.</summary>
    public static ReadOnlySpan<byte> Account(ReadOnlySpan<byte> address)
    {
        int slash = address.IndexOf(Separator);
        return slash < 0 ? address : address[..slash];
    }

    public static bool TryParse(ReadOnlySpan<byte> address, out ReadOnlySpan<byte> user, out byte device)
    {
        user = Account(address);
        device = Primary;
        if (!UserName.IsValid(user)) return false;
        if (user.Length == address.Length) return true;
        var digits = address[(user.Length + 1)..];
        if (digits.Length is < 1 or > 2 || digits[0] == (byte)'0') return false;
        int value = 0;
        foreach (byte c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
            value = value * 10 + (c - '0');
        }
        if (value is < 2 or > ProtocolLimits.MaxDevicesPerUser) return false;
        device = (byte)value;
        return true;
    }

    public static bool TryParse(string address, out string user, out byte device)
    {
        user = "";
        device = Primary;
        if (address.Length > MaxLength || address.Any(c => c >= 128)) return false;
        if (!TryParse(System.Text.Encoding.ASCII.GetBytes(address), out var userBytes, out device)) return false;
        user = address[..userBytes.Length];
        return true;
    }
}
