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
            var total = TotalRow().Match(report);
            return total.Success ? long.Parse(total.Groups[1].Value.Replace(",", "")) : null;
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
            // Global tools live in ~/.dotnet/tools, often not on PATH; Process.Start searches our own PATH.
            var installed = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-gcdump");
            var info = new ProcessStartInfo(File.Exists(installed) ? installed : "dotnet-gcdump", arguments)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEndAsync(); // drained too, or the tool can block on it
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(120_000);
            _ = error.Result;
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    [GeneratedRegex(@"([\d,]+)\s+GC Heap bytes")]
    private static partial Regex TotalRow();
}
