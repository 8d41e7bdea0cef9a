using System.Text;
using FastChat.Client.Encryption;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Signal.Messages;
using FastChat.Signal.Sessions;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace FastChat.Tests.Server;

/// <summary>The prekey directory over real TCP: uploads, fetches, one-time prekeys handed out once, limits and notices.</summary>
public class PrekeyDirectoryTests
{
    [Fact]
    public async Task A_fetched_bundle_starts_a_session_and_each_one_time_prekey_is_handed_out_once()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        var aliceKeys = new SignalDevice();
        var stored = await aliceKeys.PublishAsync(alice.Client, oneTime: 5);
        Assert.Equal(PrekeyStatusCode.Stored, stored.Status);
        Assert.Equal(5, stored.Stock);

        var fetched = new List<PrekeyBundlesBody>();
        for (int i = 0; i < 6; i++) fetched.Add(await bob.Client.FetchPrekeysAsync("alice"));
        Assert.All(fetched, f => Assert.Equal(PrekeyFetchStatus.Found, f.Status));
        Assert.All(fetched, f => Assert.Equal(aliceKeys.IdentityKey, Assert.Single(f.Bundles).IdentityKey));
        // In upload order, each once; then bundles without one (X3DH still works, with less forward secrecy for the first message).
        Assert.Equal([1u, 2, 3, 4, 5], fetched.Take(5).Select(f => f.Bundles[0].OneTimePrekey!.Id));
        Assert.Null(fetched[5].Bundles[0].OneTimePrekey);

        var bobKeys = new SignalDevice();
        new SessionBuilder(bobKeys.Store, "alice").Process(PrekeyMaterial.ToSignal(fetched[0].Bundles[0]));
        var ciphertext = new SessionCipher(bobKeys.Store, "alice").Encrypt("hello through the directory"u8);
        await bob.Client.SendAsync("alice", ciphertext.Body);
        var received = await alice.WaitForMessagesAsync(1);
        var plaintext = new SessionCipher(aliceKeys.Store, "bob").DecryptPreKeyMessage(received[0].Payload);
        Assert.Equal("hello through the directory", Encoding.UTF8.GetString(plaintext));
    }

    [Fact]
    public async Task Bad_uploads_get_a_status_and_the_connection_carries_on()
    {
        await using var server = await TestServer.StartAsync(o => o.PrekeyUploadMax = 10);
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        var keys = new SignalDevice();
        var signed = keys.NewSignedPrekey(1);

        var noSigned = await alice.Client.UploadPrekeysAsync(keys.Store.RegistrationId, keys.IdentityKey, null, keys.NewOneTimePrekeys(2));
        Assert.Equal(PrekeyStatusCode.SignedPrekeyRequired, noSigned.Status);

        var forged = signed with { Signature = new SignalDevice().NewSignedPrekey(1).Signature }; // signed by another identity
        Assert.Equal(PrekeyStatusCode.BadSignature,
            (await alice.Client.UploadPrekeysAsync(keys.Store.RegistrationId, keys.IdentityKey, forged, [])).Status);

        Assert.Equal(PrekeyStatusCode.TooMany,
            (await alice.Client.UploadPrekeysAsync(keys.Store.RegistrationId, keys.IdentityKey, signed, keys.NewOneTimePrekeys(11))).Status);

        var twice = keys.NewOneTimePrekeys(1);
        Assert.Equal(PrekeyStatusCode.DuplicateId,
            (await alice.Client.UploadPrekeysAsync(keys.Store.RegistrationId, keys.IdentityKey, signed, [twice[0], twice[0]])).Status);

        var stocked = keys.NewOneTimePrekeys(3);
        var ok = await alice.Client.UploadPrekeysAsync(keys.Store.RegistrationId, keys.IdentityKey, signed, stocked);
        Assert.Equal(PrekeyStatusCode.Stored, ok.Status);
        // A top-up keeps the signed prekey and adds to the stock; an id already in stock is refused.
        var topUp = await alice.Client.UploadPrekeysAsync(keys.Store.RegistrationId, keys.IdentityKey, null, keys.NewOneTimePrekeys(2));
        Assert.Equal((PrekeyStatusCode.Stored, 5, 1u), (topUp.Status, topUp.Stock, topUp.SignedPrekeyId));
        var reused = PrekeyMaterial.NewOneTimePrekeys(keys.Store, stocked[0].Id, 1);
        Assert.Equal(PrekeyStatusCode.DuplicateId, (await alice.Client.UploadPrekeysAsync(keys.Store.RegistrationId, keys.IdentityKey, null, reused)).Status);
    }

    [Fact]
    public async Task A_new_signed_prekey_is_served_from_then_on_and_a_new_identity_starts_the_stock_over()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        var keys = new SignalDevice();
        await keys.PublishAsync(alice.Client, oneTime: 3);

        var rotated = await alice.Client.UploadPrekeysAsync(keys.Store.RegistrationId, keys.IdentityKey, keys.NewSignedPrekey(2), []);
        Assert.Equal((PrekeyStatusCode.Stored, 3, 2u), (rotated.Status, rotated.Stock, rotated.SignedPrekeyId));
        Assert.Equal(2u, (await bob.Client.FetchPrekeysAsync("alice")).Bundles[0].SignedPrekey.Id);

        var reinstalled = new SignalDevice();
        var fresh = await reinstalled.PublishAsync(alice.Client, oneTime: 1);
        Assert.Equal(1, fresh.Stock); // the old identity's one-time prekeys are gone
        var bundle = (await bob.Client.FetchPrekeysAsync("alice")).Bundles[0];
        Assert.Equal(reinstalled.IdentityKey, bundle.IdentityKey);
        Assert.Equal(1u, bundle.OneTimePrekey!.Id);
        Assert.Equal(reinstalled.Store.LoadPreKey(1)!.PublicKey.Serialized.ToArray(), bundle.OneTimePrekey.PublicKey);
    }

    [Fact]
    public async Task Unknown_users_and_users_without_prekeys_are_told_apart()
    {
        await using var server = await TestServer.StartAsync();
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        await (await TestClient.ConnectAsync(server.Port, "quiet")).DisposeAsync();
        Assert.Equal(PrekeyFetchStatus.UnknownUser, (await bob.Client.FetchPrekeysAsync("nobody")).Status);
        Assert.Equal(PrekeyFetchStatus.UnknownUser, (await bob.Client.FetchPrekeysAsync("not a name!")).Status);
        var none = await bob.Client.FetchPrekeysAsync("quiet");
        Assert.Equal(PrekeyFetchStatus.NoPrekeys, none.Status);
        Assert.Empty(none.Bundles);
    }

    [Fact]
    public async Task Fetches_are_rate_limited_per_requester()
    {
        await using var server = await TestServer.StartAsync(o => { o.PrekeyFetchBurst = 3; o.PrekeyFetchesPerMinute = 1; });
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await using var mallory = await TestClient.ConnectAsync(server.Port, "mallory");
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        await new SignalDevice().PublishAsync(alice.Client, oneTime: 10);

        for (int i = 0; i < 3; i++) Assert.Equal(PrekeyFetchStatus.Found, (await mallory.Client.FetchPrekeysAsync("alice")).Status);
        var limited = await mallory.Client.FetchPrekeysAsync("alice");
        Assert.Equal(PrekeyFetchStatus.RateLimited, limited.Status);
        Assert.InRange(limited.RetryAfterMs, 1, 60_000);
        Assert.Empty(limited.Bundles);
        // Reconnecting does not refill the bucket: it is the user's, not the connection's.
        await mallory.DisposeAsync();
        await using var again = await TestClient.ConnectAsync(server.Port, "mallory", mallory.PrivateKey);
        Assert.Equal(PrekeyFetchStatus.RateLimited, (await again.Client.FetchPrekeysAsync("alice")).Status);

        var honest = await bob.Client.FetchPrekeysAsync("alice");
        Assert.Equal(4u, honest.Bundles[0].OneTimePrekey!.Id); // the limited fetch took nothing
    }

    [Fact]
    public async Task A_device_hands_out_a_bounded_number_of_one_time_prekeys_per_hour()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(o =>
        {
            o.PrekeyHandoutsPerHour = 2;
            o.KeepaliveSeconds = 100_000; // the fake hour below must not close the idle connections
            o.IdleTimeoutSeconds = 200_000;
        }, time: time);
        await using var alice = await TestClient.ConnectAsync(server.Port, "alice");
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        await new SignalDevice().PublishAsync(alice.Client, oneTime: 10);

        async Task<uint?> TakeAsync() => (await bob.Client.FetchPrekeysAsync("alice")).Bundles[0].OneTimePrekey?.Id;
        Assert.Equal([1u, 2u, null], [await TakeAsync(), await TakeAsync(), await TakeAsync()]);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal([3u, 4u, null], [await TakeAsync(), await TakeAsync(), await TakeAsync()]);
    }

    [Fact]
    public async Task The_owner_hears_when_its_stock_runs_low_live_and_at_login()
    {
        await using var server = await TestServer.StartAsync(o => o.PrekeyLowWater = 3);
        var aliceKey = TestClient.NewKey();
        var notices = new System.Collections.Concurrent.ConcurrentQueue<PrekeyStatusBody>();
        await using (var alice = await TestClient.ConnectAsync(server.Port, "alice", aliceKey))
        {
            alice.Client.PrekeyNotice += notices.Enqueue;
            await new SignalDevice().PublishAsync(alice.Client, oneTime: 4);
            await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
            await bob.Client.FetchPrekeysAsync("alice");
            Assert.True(notices.IsEmpty); // 3 left: not below the mark
            await bob.Client.FetchPrekeysAsync("alice");
            await Eventually.TrueAsync(() => notices.Any(n => n.Stock == 2 && n.RequestId == 0 && n.LowWater == 3));
        }

        var atLogin = new TaskCompletionSource<PrekeyStatusBody>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var later = TestClient.Create(server.Port, "alice", aliceKey);
        later.Client.PrekeyNotice += n => atLogin.TrySetResult(n);
        await later.Client.ConnectAsync();
        Assert.Equal(2, (await atLogin.Task.WaitAsync(TimeSpan.FromSeconds(10))).Stock);
    }

    [Fact]
    public async Task Malformed_prekey_frames_close_only_that_connection()
    {
        await using var server = await TestServer.StartAsync();
        await using var raw = await RawConnection.RegisteredAsync(server.Port, "garbage");
        var upload = ControlFrames.Encode(new PrekeyUploadBody(1, 1, new byte[33], null, [])); // a key without the 0x05 type byte
        await raw.WriteRecordAsync(upload);
        Assert.Equal(ErrorCode.ProtocolError, (await raw.ReadUntilClosedAsync())?.Code);

        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        Assert.Equal(PrekeyFetchStatus.UnknownUser, (await bob.Client.FetchPrekeysAsync("garbage-less")).Status);
    }

    /// <summary>A real server process killed with SIGKILL between fetches: no one-time prekey is ever handed out twice.</summary>
    [Fact]
    public async Task Hand_outs_survive_kill_minus_nine_and_are_never_repeated()
    {
        using var data = new TempDirectory();
        var aliceKey = TestClient.NewKey();
        var bobKey = TestClient.NewKey();
        var handedOut = new List<uint>();
        await using (var server = await ServerProcess.StartAsync(data))
        {
            await using var alice = await TestClient.ConnectAsync(server.Port, "alice", aliceKey);
            await new SignalDevice().PublishAsync(alice.Client, oneTime: 10);
            await using var bob = await TestClient.ConnectAsync(server.Port, "bob", bobKey);
            for (int i = 0; i < 4; i++) handedOut.Add((await bob.Client.FetchPrekeysAsync("alice")).Bundles[0].OneTimePrekey!.Id);
            await server.KillAsync();
        }
        await using (var server = await ServerProcess.StartAsync(data))
        {
            await using var bob = await TestClient.ConnectAsync(server.Port, "bob", bobKey);
            for (int i = 0; i < 7; i++)
                if ((await bob.Client.FetchPrekeysAsync("alice")).Bundles[0].OneTimePrekey is { } key) handedOut.Add(key.Id);
        }
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (uint)i), handedOut);
    }
}
