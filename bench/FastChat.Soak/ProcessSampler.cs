namespace FastChat.Soak;

/// <summary>Reads a process's resident memory and CPU time from /proc (Linux).</summary>
internal readonly record struct ProcessSample(long RssBytes, double CpuSeconds, DateTime At)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static ProcessSample Take(int pid)
    {
        long rss = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double cpu = (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond; // utime + stime
        return new ProcessSample(rss, cpu, DateTime.UtcNow);
    }
}
