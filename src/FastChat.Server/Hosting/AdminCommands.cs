using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;

namespace FastChat.Server.Hosting;

/// <summary>
/// Offline admin commands that work from the data directory alone (no connection to a running
/// server), configured exactly as the server is (<see cref="ServerConfiguration"/>).
/// </summary>
public static class AdminCommands
{
    public const string Usage = """
        usage: fastchat-server                   run the server
               fastchat-server issue-code USER   print a registration code for USER (valid today and tomorrow)
               fastchat-server server-key        print the server's static public key (hex), for clients to pin
               fastchat-server cluster [--http URL]
                                                 a running cluster node's view: ring epoch, members and the
                                                 partitions they own, peer links (from its HTTP port)
               fastchat-server drain [--http URL] [--wait SECONDS]
                                                 stop a running node on this host gracefully: in a cluster it
                                                 hands its partitions to the other nodes and redirects its
                                                 clients there first; waits until it has stopped (default 120 s)
        Settings: appsettings.json, environment (FastChat__DataDirectory=DIR), command line (--FastChat:DataDirectory=DIR).
        """;

    /// <summary>Runs the admin command named by <paramref name="args"/>[0]; null when it names none (run the server).</summary>
    public static int? TryRun(string[] args)
    {
        if (args.Length == 0) return null;
        switch (args[0])
        {
            case "issue-code":
                if (args.Length < 2 || !UserName.IsValid(args[1])) return Fail();
                Console.WriteLine(new RegistrationCodes(DataDirectory(args[2..]), TimeProvider.System).Issue(args[1]));
                return 0;
            case "server-key":
                using (var identity = ServerIdentity.LoadOrCreate(DataDirectory(args[1..])))
                    Console.WriteLine(Convert.ToHexString(identity.PublicKey).ToLowerInvariant());
                return 0;
            case "cluster":
                return Operations.ClusterCommand.Run(args[1..]);
            case "drain":
                return Operations.DrainCommand.Run(args[1..]);
            case "help" or "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            default:
                return null;
        }
    }

    private static string DataDirectory(string[] args) => ServerConfiguration.BindOptions(ServerConfiguration.Build(args)).DataDirectory;

    private static int Fail()
    {
        Console.Error.WriteLine(Usage);
        return 2;
    }
}
