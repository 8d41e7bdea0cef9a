using System.Diagnostics;

namespace FastChat.Tests.Infrastructure;

/// <summary>
/// An nftables table (its own, deleted on dispose) that drops every packet to and from one TCP port
/// on this host: a silent partition of whatever listens there. Needs root and nft.
/// </summary>
public sealed class NftCut : IAsyncDisposable
{
    private readonly string _table = "fctest" + Guid.NewGuid().ToString("N")[..8];
    private bool _active;

    public static async Task<NftCut> PortAsync(int port)
    {
        var cut = new NftCut();
        await RunAsync($"add table inet {cut._table}");
        cut._active = true;
        await RunAsync($"add chain inet {cut._table} out {{ type filter hook output priority 0 ; }}");
        await RunAsync($"add rule inet {cut._table} out tcp dport {port} drop");
        await RunAsync($"add rule inet {cut._table} out tcp sport {port} drop");
        return cut;
    }

    /// <summary>Heals the cut (idempotent).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_active) return;
        _active = false;
        await RunAsync($"delete table inet {_table}");
    }

    private static async Task RunAsync(string command)
    {
        var info = new ProcessStartInfo("nft") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var part in command.Split(' ', StringSplitOptions.RemoveEmptyEntries)) info.ArgumentList.Add(part);
        using var process = Process.Start(info)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"nft {command}: {error}");
    }
}
