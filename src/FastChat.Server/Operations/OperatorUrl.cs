using FastChat.Server.Hosting;

namespace FastChat.Server.Operations;

/// <summary>
/// The HTTP port of the node an operator command talks to: <c>--http URL</c>, or this node's own
/// port from the same configuration the server reads.
/// </summary>
internal static class OperatorUrl
{
    /// <summary>Null (after printing why) when neither is given; <paramref name="rest"/> gets the other arguments.</summary>
    public static string? Resolve(string[] args, out List<string> rest)
    {
        string? url = null;
        rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--http" && i + 1 < args.Length) url = args[++i];
            else rest.Add(args[i]);
        }
        if (url is not null) return url.TrimEnd('/');
        var options = ServerConfiguration.BindOptions(ServerConfiguration.Build([.. rest]));
        if (options.EffectiveHttpPort == 0)
        {
            Console.Error.WriteLine("This node's HTTP port is off (FastChat:HttpPort); pass --http URL.");
            return null;
        }
        string host = options.ListenAddress is "0.0.0.0" or "::" ? "127.0.0.1" : options.ListenAddress;
        return $"http://{Protocol.Wire.Endpoints.Format(host, options.EffectiveHttpPort)}";
    }
}
