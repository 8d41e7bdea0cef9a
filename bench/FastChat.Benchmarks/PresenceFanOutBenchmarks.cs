using BenchmarkDotNet.Attributes;
using FastChat.Server.Accounts;
using FastChat.Server.Connections;
using FastChat.Server.Presence;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Benchmarks;

/// <summary>
/// The server's work for one presence change, per watcher: alice goes online or offline (a
/// session counted, or ended with last seen written), the hub publishes at the window — reads her
/// settings, encodes the PRESENCE body once, routes it to each of <see cref="Watchers"/> watching
/// devices on this node — and each watcher's connection seals its PRESENCE frame into its pipe.
/// The coalescing timer is set out of the way; the benchmark publishes itself.
/// </summary>
public class PresenceFanOutBenchmarks
{
    /// <summary>Fixed at 256, the default most one connection may watch (OperationsPerInvoke is a constant).</summary>
    public const int Watchers = 256;
    private BenchServer _host = null!;
    private BenchConnections _connections = null!;
    private PresenceHub _hub = null!;
    private ClientConnection[] _watchers = null!;
    private bool _online;

    [GlobalSetup]
    public void Setup()
    {
        _host = new BenchServer(o =>
        {
            o.Presence.CoalesceWindow = TimeSpan.FromHours(1);
            o.Presence.SubscriptionLifetime = TimeSpan.FromHours(8);
        });
        var services = _host.App.Services;
        var server = services.GetRequiredService<ServerContext>();
        var accounts = services.GetRequiredService<AccountStore>();
        var names = Enumerable.Range(0, Watchers).Select(i => $"watcher{i}").Prepend("alice").ToArray();
        foreach (var name in names) accounts.CreateAsync(name, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), 0).GetAwaiter().GetResult();
        _hub = services.GetRequiredService<PresenceHub>();
        var watches = services.GetRequiredService<PresenceWatches>();
        _connections = new BenchConnections(server);
        _watchers = names[1..].Select(_connections.Connect).ToArray();
        foreach (var watcher in _watchers) watches.Replace(watcher, watcher.Address, ["alice"]);
        _hub.Tick();
        foreach (var watcher in _watchers) watcher.FlushInline();
    }

    [Benchmark(OperationsPerInvoke = Watchers)]
    public void PresenceChangeToEveryWatcher()
    {
        _online = !_online;
        if (_online) _hub.SessionStarted("alice");
        else _hub.SessionEnded("alice");
        _hub.Tick();
        foreach (var watcher in _watchers) watcher.FlushInline();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connections.Dispose();
        _host.Dispose();
    }
}
