using System.Collections.Concurrent;
using System.Diagnostics;
using FastChat.Client;
using FastChat.Protocol.Frames;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>Presence, last seen and typing over real TCP on one node (protocol-spec/15-presence.md).</summary>
public class PresenceTests
{
    /// <summary>A client with the PRESENCE frames and typing notices it received, in order.</summary>
    private sealed class Watcher : IAsyncDisposable
    {
        public required TestClient Connection { get; init; }
        public ConcurrentQueue<PresenceBody> Updates { get; } = new();
        public ConcurrentQueue<TypingNotice> Typing { get; } = new();
        public FastChatClient Client => Connection.Client;

        public static async Task<Watcher> ConnectAsync(int port, string user, byte[]? key = null)
        {
            var connection = TestClient.Create(port, user, key);
            var watcher = new Watcher { Connection = connection };
            connection.Client.PresenceChanged += watcher.Updates.Enqueue;
            connection.Client.TypingChanged += watcher.Typing.Enqueue;
            var welcome = await connection.Client.ConnectAsync();
            if (welcome.State == WelcomeState.RegistrationRequired) await connection.Client.RegisterAsync(null);
            return watcher;
        }

        public PresenceBody[] Of(string user) => Updates.Where(u => u.User == user).ToArray();

        /// <summary>Waits until the latest word of <paramref name="user"/> matches; returns it.</summary>
        public async Task<PresenceBody> LatestAsync(string user, Func<PresenceBody, bool> match)
        {
            await Eventually.TrueAsync(() => Of(user) is { Length: > 0 } all && match(all[^1]), timeout: TimeSpan.FromSeconds(20),
                explain: () => $"{Client.UserName} has [{string.Join(", ", Of(user).Select(u => $"{u.State}@{u.LastSeenMs}"))}] of {user}");
            return Of(user)[^1];
        }

        public Task<PresenceBody> LatestAsync(string user, PresenceState state) => LatestAsync(user, u => u.State == state);

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }

    private static Task<TestServer> StartAsync(Action<FastChat.Server.Hosting.FastChatOptions>? configure = null, string? data = null) =>
        TestServer.StartAsync(options =>
        {
            options.Presence.CoalesceWindow = TimeSpan.FromMilliseconds(50);
            configure?.Invoke(options);
        }, data);

    private static async Task ConnectOnceAsync(int port, string user, byte[] key)
    {
        await using var client = await TestClient.ConnectAsync(port, user, key);
    }

    [Fact]
    public async Task A_watcher_sees_a_user_come_online_and_go_offline_with_last_seen()
    {
        await using var server = await StartAsync();
        var aliceKey = TestClient.NewKey();
        await ConnectOnceAsync(server.Port, "alice", aliceKey);
        await using var bob = await Watcher.ConnectAsync(server.Port, "bob");

        var done = await bob.Client.WatchPresenceAsync(["alice", "nosuchuser"]);
        Assert.Equal(PresenceStatusCode.Done, done.Status);
        var first = await bob.LatestAsync("alice", PresenceState.Offline);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - first.LastSeenMs, 0, 60_000); // alice was here a moment ago
        // A name nobody has looks like someone who hides: watching is no way to find accounts.
        Assert.Equal(0L, (await bob.LatestAsync("nosuchuser", PresenceState.Hidden)).LastSeenMs);

        var alice = await TestClient.ConnectAsync(server.Port, "alice", aliceKey);
        Assert.Equal(0L, (await bob.LatestAsync("alice", PresenceState.Online)).LastSeenMs);
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await alice.DisposeAsync();
        var offline = await bob.LatestAsync("alice", PresenceState.Offline);
        Assert.True(offline.LastSeenMs >= before - 1000 && offline.LastSeenMs > first.LastSeenMs, $"last seen {offline.LastSeenMs}, before {before}");

        // Watching nobody: alice's next session is not reported to bob (carol, watching, shows when it would have been).
        Assert.Equal(PresenceStatusCode.Done, (await bob.Client.WatchPresenceAsync([])).Status);
        int told = bob.Of("alice").Length;
        await using var carol = await Watcher.ConnectAsync(server.Port, "carol");
        await carol.Client.WatchPresenceAsync(["alice"]);
        var carolFirst = await carol.LatestAsync("alice", PresenceState.Offline);
        await ConnectOnceAsync(server.Port, "alice", aliceKey);
        await carol.LatestAsync("alice", u => u.State == PresenceState.Offline && u.LastSeenMs > carolFirst.LastSeenMs);
        await bob.Client.WatchPresenceAsync([]); // a round trip: what was pushed to bob has arrived
        Assert.Equal(told, bob.Of("alice").Length);
    }

    [Fact]
    public async Task Who_sees_presence_follows_the_users_choice_and_survives_a_restart()
    {
        using var data = new TempDirectory();
        var aliceKey = TestClient.NewKey();
        var bobKey = TestClient.NewKey();
        var carolKey = TestClient.NewKey();
        await using (var server = await StartAsync(data: data))
        {
            await using var alice = await Watcher.ConnectAsync(server.Port, "alice", aliceKey);
            await using var bob = await Watcher.ConnectAsync(server.Port, "bob", bobKey);
            await using var carol = await Watcher.ConnectAsync(server.Port, "carol", carolKey);
            Assert.Equal(PresenceStatusCode.Done, (await alice.Client.SetPresenceSettingsAsync(PresenceVisibility.Contacts, ["bob"])).Status);

            await bob.Client.WatchPresenceAsync(["alice"]);
            await carol.Client.WatchPresenceAsync(["alice"]);
            await bob.LatestAsync("alice", PresenceState.Online);
            await carol.LatestAsync("alice", PresenceState.Hidden);

            // Nobody: those who saw her are told she is hidden now; her own devices still see her.
            await alice.Client.WatchPresenceAsync(["alice"]);
            await alice.LatestAsync("alice", PresenceState.Online);
            Assert.Equal(PresenceStatusCode.Done, (await alice.Client.SetPresenceSettingsAsync(PresenceVisibility.Nobody, [])).Status);
            await bob.LatestAsync("alice", PresenceState.Hidden);
            Assert.Equal(2, alice.Of("alice").Length); // told again, and still online to herself
            Assert.Equal(PresenceState.Online, alice.Of("alice")[^1].State);
            Assert.Equal(PresenceStatusCode.Done, (await alice.Client.SetPresenceSettingsAsync(PresenceVisibility.Contacts, ["bob"])).Status);
            await bob.LatestAsync("alice", PresenceState.Online);
            await alice.DisposeAsync();
            await bob.LatestAsync("alice", PresenceState.Offline);
            Assert.All(carol.Of("alice"), u => Assert.Equal((PresenceState.Hidden, 0L), (u.State, u.LastSeenMs)));
        }
        // The choice is durable: after a restart carol still sees nothing, bob still sees alice's last seen.
        await using (var server = await StartAsync(data: data))
        {
            await using var bob = await Watcher.ConnectAsync(server.Port, "bob", bobKey);
            await using var carol = await Watcher.ConnectAsync(server.Port, "carol", carolKey);
            await bob.Client.WatchPresenceAsync(["alice"]);
            await carol.Client.WatchPresenceAsync(["alice"]);
            Assert.True((await bob.LatestAsync("alice", PresenceState.Offline)).LastSeenMs > 0);
            Assert.Equal(0L, (await carol.LatestAsync("alice", PresenceState.Hidden)).LastSeenMs);
        }
    }

    [Fact]
    public async Task A_flapping_connection_does_not_flood_its_watchers()
    {
        var window = TimeSpan.FromSeconds(3);
        await using var server = await StartAsync(options => options.Presence.CoalesceWindow = window);
        var aliceKey = TestClient.NewKey();
        await ConnectOnceAsync(server.Port, "alice", aliceKey);
        await using var bob = await Watcher.ConnectAsync(server.Port, "bob");
        await bob.Client.WatchPresenceAsync(["alice"]);
        var settled = await bob.LatestAsync("alice", PresenceState.Offline);
        int before = bob.Of("alice").Length;

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++) await ConnectOnceAsync(server.Port, "alice", aliceKey);
        // Settled: offline, with the last session's end as last seen.
        await bob.LatestAsync("alice", u => u.State == PresenceState.Offline && u.LastSeenMs > settled.LastSeenMs);
        var elapsed = clock.Elapsed;
        int pushes = bob.Of("alice").Length - before;
        // 40 changes; at most one push per window (and one for the window in which they ended).
        int bound = (int)Math.Ceiling(elapsed / window) + 1;
        Assert.True(pushes <= bound, $"{pushes} pushes for 40 changes in {elapsed.TotalSeconds:F1} s (bound {bound})");
        Assert.True(pushes < 40);
        Assert.Equal(PresenceState.Offline, bob.Of("alice")[^1].State);
    }

    [Fact]
    public async Task Typing_reaches_connected_devices_only_reaches_group_members_and_is_rate_limited()
    {
        await using var server = await StartAsync(options => { options.Presence.TypingBurst = 3; options.Presence.TypingPerSecond = 1; });
        var bobKey = TestClient.NewKey();
        await using var alice = await Watcher.ConnectAsync(server.Port, "alice");
        await using var carol = await Watcher.ConnectAsync(server.Port, "carol");
        await ConnectOnceAsync(server.Port, "bob", bobKey);

        // Never stored: typing to bob while he is away leaves him nothing.
        alice.Client.SendTyping("bob", true);
        await alice.Client.WatchPresenceAsync([]); // a round trip: the TYPING before it was handled
        await using var bob = await Watcher.ConnectAsync(server.Port, "bob", bobKey);
        await bob.Client.WatchPresenceAsync([]);
        Assert.Empty(bob.Typing);
        Assert.Empty(bob.Connection.Messages);

        // In a group, to every other member, with the group as the context.
        var group = FastChatClient.NewGroupId();
        Assert.Equal(GroupStatusCode.Done, (await alice.Client.ChangeGroupAsync(GroupOp.Create, group, ["bob", "carol"], "g")).Status);
        string address = FastChat.Protocol.Wire.GroupAddress.Of(group);
        alice.Client.SendTyping(address, true);
        await Eventually.TrueAsync(() => carol.Typing.Any(t => t.Context == address) && bob.Typing.Any(t => t.Context == address));
        Assert.Equal(("alice", true), (carol.Typing.Single().From, carol.Typing.Single().IsTyping));
        await alice.Client.WatchPresenceAsync([]);
        Assert.Empty(alice.Typing);

        // Over the rate (burst 3, one a second; two spent above) the rest are dropped and the connection stays.
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 30; i++) alice.Client.SendTyping("bob", i % 2 == 0);
        await Eventually.TrueAsync(() => bob.Typing.Any(t => t.Context == "bob"));
        Assert.Equal(PresenceStatusCode.Done, (await alice.Client.WatchPresenceAsync([])).Status);
        await bob.Client.WatchPresenceAsync([]); // and what was routed to bob has reached him
        var direct = bob.Typing.Where(t => t.Context == "bob").ToArray();
        Assert.Equal(("alice", true), (direct[0].From, direct[0].IsTyping));
        int bound = 1 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds) + 1;
        Assert.True(direct.Length <= bound, $"{direct.Length} typing notices of 30 (bound {bound})");
        Assert.True(alice.Client.IsConnected);
    }

    [Fact]
    public async Task Limits_on_watching_are_answered_and_the_connection_stays()
    {
        await using var server = await StartAsync(options => { options.Presence.MaxSubscriptions = 3; options.Presence.RequestBurst = 4; options.Presence.RequestsPerMinute = 1; });
        await using var bob = await Watcher.ConnectAsync(server.Port, "bob");
        var tooMany = await bob.Client.WatchPresenceAsync(["user1", "user2", "user3", "user4"]);
        Assert.Equal(PresenceStatusCode.TooMany, tooMany.Status);
        Assert.Contains("3", tooMany.Message);
        Assert.Equal(PresenceStatusCode.Done, (await bob.Client.WatchPresenceAsync(["user1", "user2", "user3"])).Status);
        Assert.Equal(PresenceStatusCode.Done, (await bob.Client.WatchPresenceAsync(["user1"])).Status);
        Assert.Equal(PresenceStatusCode.Done, (await bob.Client.SetPresenceSettingsAsync(PresenceVisibility.Everyone, [])).Status);
        Assert.Equal(PresenceStatusCode.RateLimited, (await bob.Client.WatchPresenceAsync(["user2"])).Status);
        Assert.True(bob.Client.IsConnected);
    }
}
