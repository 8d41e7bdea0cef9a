using System.Net.Http.Json;

namespace FastChat.Server.Operations;

/// <summary>
/// <c>fastchat-server drain</c>: asks a running node (on this host) to stop gracefully — in a
/// cluster it first hands its partitions to the other nodes and redirects its clients there —
/// and follows it until it has stopped. Exit 0 once stopped, 1 on a refusal or timeout.
/// </summary>
internal static class DrainCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public static int Run(string[] args)
    {
        if (OperatorUrl.Resolve(WithoutWait(args, out var wait), out _) is not { } url) return 2;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = http.PostAsync($"{url}/drain", null).GetAwaiter().GetResult();
            string said = response.Content.ReadAsStringAsync().GetAwaiter().GetResult().Trim();
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"{url} refused the drain ({(int)response.StatusCode}): {said}");
                return 1;
            }
            Console.WriteLine(said);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"No answer from {url}: {ex.Message}");
            return 1;
        }
        return FollowUntilStopped(http, url, wait) ? 0 : 1;
    }

    /// <summary>Prints what the node still owns as it changes; true once its HTTP port is gone (the process has exited).</summary>
    private static bool FollowUntilStopped(HttpClient http, string url, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        int? lastOwned = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var report = http.GetFromJsonAsync($"{url}/cluster", OperationsJson.Default.ClusterReport).GetAwaiter().GetResult();
                int owned = report?.Members.FirstOrDefault(m => m.Id == report.Self)?.Owns ?? 0;
                if (owned != lastOwned) Console.WriteLine($"  owns {owned} partitions{(report?.Changing == true ? " (hand-off under way)" : "")}");
                lastOwned = owned;
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
            {
                Console.WriteLine("stopped.");
                return true;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { } // stopping: try again
            Thread.Sleep(PollInterval);
        }
        Console.Error.WriteLine($"The node at {url} has not stopped after {wait.TotalSeconds:0} s.");
        return false;
    }

    private static string[] WithoutWait(string[] args, out TimeSpan wait)
    {
        wait = TimeSpan.FromSeconds(120);
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--wait" && i + 1 < args.Length && int.TryParse(args[i + 1], out int seconds) && seconds > 0) { wait = TimeSpan.FromSeconds(seconds); i++; }
            else rest.Add(args[i]);
        }
        return [.. rest];
    }
}
