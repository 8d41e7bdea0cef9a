using System.Net.Http.Json;

namespace FastChat.Server.Operations;

/// <summary><c>fastchat-server cluster</c>: prints a running node's <c>/cluster</c> report as tables.</summary>
internal static class ClusterCommand
{
    public static int Run(string[] args)
    {
        if (OperatorUrl.Resolve(args, out _) is not { } url) return 2;
        ClusterReport? report;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            report = http.GetFromJsonAsync($"{url}/cluster", OperationsJson.Default.ClusterReport).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"No cluster report from {url}: {ex.Message}");
            return 1;
        }
        if (report is null) return 1;
        Console.WriteLine($"node {report.Self}: epoch {report.Epoch}, {report.Partitions} partitions{(report.Changing ? ", ownership change under way" : "")}, {report.HeldEntries} entries held");
        Console.WriteLine();
        Console.WriteLine($"{"member",-16} {"state",-8} {"owns",6} {"next",6}  client");
        foreach (var m in report.Members)
            Console.WriteLine($"{m.Id,-16} {(m.Live ? m.Leaving ? "leaving" : "live" : "down"),-8} {m.Owns,6} {m.WillOwn,6}  {m.Client ?? "-"}");
        Console.WriteLine();
        Console.WriteLine($"{"link",-16} {"state",-6} {"depth",6} {"rtt us",7} {"sessions",8} {"sent",10} {"received",10} {"acked",10}");
        foreach (var l in report.Links)
            Console.WriteLine($"{l.Peer,-16} {(l.Connected ? "up" : "down"),-6} {l.Depth,6} {l.RttMicroseconds,7} {l.Sessions,8} {l.FramesSent,10} {l.FramesReceived,10} {l.ForwardsAcked,10}");
        return 0;
    }
}
