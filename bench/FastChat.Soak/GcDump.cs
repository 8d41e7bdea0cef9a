using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FastChat.Soak;

/// <summary>
/// Live managed heap of a process via dotnet-gcdump (which forces a full GC and walks the heap).
/// Returns null when the tool is not installed: `dotnet tool install -g dotnet-gcdump`.
/// </summary>
internal static partial class GcDump
{
    public static long? LiveHeapBytes(int pid)
    {
        var file = Path.Combine(Path.GetTempPath(), $"fastchat-{pid}-{Guid.NewGuid():N}.gcdump");
        try
        {
            if (Run($"collect -p {pid} -o {file}") is null || !File.Exists(file)) return null;
            var report = Run($"report {file}");
            if (report is null) return null;
            // The report's first data row is the total: "<bytes>  GC Heap bytes" per line formats vary; sum the Size column.
            long total = 0;
            foreach (Match m in ReportRow().Matches(report)) total += long.Parse(m.Groups[1].Value.Replace(",", ""));
            return total > 0 ? total : null;
        }
        finally
        {
            try { File.Delete(file); } catch (IOException) { }
        }
    }

    private static string? Run(string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("dotnet-gcdump", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var tools = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools");
            info.Environment["PATH"] = tools + ":" + Environment.GetEnvironmentVariable("PATH");
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(120_000);
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    [GeneratedRegex(@"^\s*([\d,]+)\s+[\d,]+\s+\S", RegexOptions.Multiline)]
    private static partial Regex ReportRow();
}
