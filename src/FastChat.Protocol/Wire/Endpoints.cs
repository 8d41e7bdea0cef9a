using System.Globalization;

namespace FastChat.Protocol.Wire;

/// <summary>"host:port" strings ("[::1]:5222" for IPv6), as member records, seeds and the CLI's --server carry them.</summary>
public static class Endpoints
{
    public static string Format(string host, int port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    public static bool TryParse(string endpoint, out string host, out int port)
    {
        host = "";
        port = 0;
        int colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            return false;
        host = endpoint[..colon].Trim('[', ']');
        return host.Length > 0;
    }
}
