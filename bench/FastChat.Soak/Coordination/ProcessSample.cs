using System.Globalization;

namespace FastChat.Soak;

/// <summary>
/// One sample of the server process: resident memory and CPU time from /proc (Linux), the time
/// it was taken and, when asked for, the live managed heap (dotnet-gcdump).
/// </summary>
internal readonly record struct ProcessSample(long RssBytes, double CpuSeconds, DateTime At, long? HeapBytes = null)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static ProcessSample Take(int pid, bool withHeap = false)
    {
        long? heap = withHeap ? GcDump.LiveHeapBytes(pid) : null; // forces a full GC first, so RSS is read after it
        long rss = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double cpu = (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond; // utime + stime
        return new ProcessSample(rss, cpu, DateTime.UtcNow, heap);
    }

    /// <summary>The line form a shard coordinator hands to its shards.</summary>
    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{RssBytes} {CpuSeconds} {At.Ticks} {HeapBytes?.ToString(CultureInfo.InvariantCulture) ?? "-"}");

    public static ProcessSample Parse(string text)
    {
        var f = text.Split(' ');
        return new ProcessSample(long.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[1], CultureInfo.InvariantCulture),
            new DateTime(long.Parse(f[2], CultureInfo.InvariantCulture), DateTimeKind.Utc),
            f[3] == "-" ? null : long.Parse(f[3], CultureInfo.InvariantCulture));
    }
}
