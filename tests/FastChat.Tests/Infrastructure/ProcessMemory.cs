using System.Globalization;

namespace FastChat.Tests.Infrastructure;

/// <summary>
/// Searches a live process's readable memory (every readable mapping in /proc/PID/maps, read
/// through /proc/PID/mem, as a core dump would hold it) and a folder's files for byte strings.
/// Linux only, and it needs ptrace rights over the process (root, or the same user with
/// ptrace_scope 0).
/// </summary>
public static class ProcessMemory
{
    private const int Chunk = 16 << 20;

    /// <summary>The needles found anywhere in the process's readable memory.</summary>
    public static HashSet<int> FindInMemory(int pid, IReadOnlyList<byte[]> needles)
    {
        var found = new HashSet<int>();
        int overlap = needles.Max(n => n.Length) - 1;
        var buffer = new byte[Chunk + overlap];
        using var memory = new FileStream($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        foreach (var line in File.ReadLines($"/proc/{pid}/maps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields[1][0] != 'r' || (fields.Length == 6 && fields[5] is "[vvar]" or "[vvar_vclock]" or "[vsyscall]")) continue;
            var range = fields[0].Split('-');
            ulong start = ulong.Parse(range[0], NumberStyles.HexNumber), end = ulong.Parse(range[1], NumberStyles.HexNumber);
            if (end > long.MaxValue) continue;
            Scan(memory, (long)start, (long)end, buffer, overlap, needles, found);
        }
        return found;
    }

    /// <summary>The needles found in any file under <paramref name="folder"/>.</summary>
    public static HashSet<int> FindInFiles(string folder, IReadOnlyList<byte[]> needles)
    {
        var found = new HashSet<int>();
        int overlap = needles.Max(n => n.Length) - 1;
        var buffer = new byte[Chunk + overlap];
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Scan(file, 0, file.Length, buffer, overlap, needles, found);
        }
        return found;
    }

    private static void Scan(FileStream source, long start, long end, byte[] buffer, int overlap, IReadOnlyList<byte[]> needles, HashSet<int> found)
    {
        int carried = 0;
        for (long at = start; at < end;)
        {
            int want = (int)Math.Min(Chunk, end - at);
            int read;
            try
            {
                source.Position = at;
                read = source.Read(buffer, carried, want);
            }
            catch (IOException) { return; } // a mapping that cannot be read (a guard page): skip the rest of it
            if (read <= 0) return;
            var window = buffer.AsSpan(0, carried + read);
            for (int i = 0; i < needles.Count; i++)
                if (!found.Contains(i) && window.IndexOf(needles[i]) >= 0) found.Add(i);
            carried = Math.Min(overlap, window.Length);
            window[^carried..].CopyTo(buffer);
            at += read;
        }
    }
}
