using FastChat.Protocol.Frames;
using FastChat.Server.Delivery;
using FastChat.Server.Storage;
using Microsoft.Extensions.Time.Testing;

namespace FastChat.Tests.Unit;

/// <summary>Queue items on a real store: inline entries, one shared entry referenced by many queues, and items stored as whole frames by earlier versions.</summary>
public class QueueItemTests
{
    private sealed class Target(string user) : IDeliveryTarget
    {
        public readonly List<byte[]> Frames = new();
        public string Address => user;
        public QueueState? Queue { get; set; }
        public bool TryDeliver(ReadOnlySpan<byte> frame, DeliveryKind kind) { Frames.Add(frame.ToArray()); return true; }
        public void OnAttached(long queued) { }
        public void Replace() { }
        public void Removed() { }
        public void Notify(ReadOnlySpan<byte> frame) { }
        public void Relocate(FastChat.Server.Routing.UserLocation nextHome) { }
    }

    private static (UserQueues Queues, StoreFixture Fixture) Create(FakeTimeProvider time)
    {
        var fixture = new StoreFixture();
        return (new UserQueues(fixture.Store, fixture.Commit, new LocalDirectory(), fixture.Metrics, new DeliveryOptions(), time, new OwnEveryone()), fixture);
    }

    private static DeliverView View(byte[] frame)
    {
        Assert.True(MessageFrames.TryParseDeliver(frame.AsSpan(4), out var view));
        return view;
    }

    [Fact]
    public void An_inline_item_is_pushed_live_and_read_back_later_as_the_same_frame()
    {
        var time = new FakeTimeProvider();
        var (queues, fixture) = Create(time);
        using var _ = fixture;
        var live = new Target("bob");
        queues.Attach(live);
        Assert.Equal(EnqueueStatus.Queued, queues.Enqueue("bob"u8, DeliveryKind.Message, 5, "alice"u8, "alice", "hi"u8));
        queues.Detach(live);

        var later = new Target("bob");
        queues.Attach(later); // not acknowledged: redelivered from the store, same seq, same bytes
        Assert.Equal(live.Frames.Single(), later.Frames.Single());
        var view = View(later.Frames[0]);
        Assert.Equal((0UL, 5UL, "hi"), (view.Sequence, view.MessageId, System.Text.Encoding.ASCII.GetString(view.Payload)));
    }

    [Fact]
    public void One_shared_entry_serves_many_queues_each_with_its_own_seq()
    {
        var time = new FakeTimeProvider();
        var (queues, fixture) = Create(time);
        using var _ = fixture;
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        var shared = key[..StoreKeys.SharedKey(key, "group-7|1"u8)].ToArray();
        queues.Enqueue("carol"u8, DeliveryKind.Message, 1, "dave"u8, "dave", "first"u8); // carol's seq 0
        queues.StoreShared(shared, DeliveryKind.Message, 99, "alice"u8, new byte[1000]);
        queues.EnqueueShared("bob"u8, shared);
        queues.EnqueueShared("carol"u8, shared);

        var bob = new Target("bob");
        var carol = new Target("carol");
        queues.Attach(bob);
        queues.Attach(carol);
        var b = View(bob.Frames.Single());
        var c = View(carol.Frames[1]);
        Assert.Equal((0UL, 1UL), (b.Sequence, c.Sequence));
        Assert.Equal((99UL, 99UL, 1000, 1000), (b.MessageId, c.MessageId, b.Payload.Length, c.Payload.Length));
        // The queues hold references, not copies: each item is the tag and the key.
        Assert.Equal(1 + shared.Length, fixture.Store.Read(key[..StoreKeys.ItemKey(key, "bob"u8, 0)])!.Length);
    }

    [Fact]
    public void An_item_stored_as_a_whole_frame_by_an_earlier_version_still_delivers()
    {
        var time = new FakeTimeProvider();
        var (queues, fixture) = Create(time);
        using var _ = fixture;
        var frame = new byte[MessageFrames.DeliverLength(5, 3)];
        MessageFrames.WriteDeliver(frame, 0, DeliveryKind.Message, 42, time.GetUtcNow().ToUnixTimeMilliseconds(), "alice"u8, "old"u8);
        Span<byte> key = stackalloc byte[StoreKeys.MaxLength];
        fixture.Store.Upsert(key[..StoreKeys.ItemKey(key, "bob"u8, 0)], frame);
        Span<byte> meta = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(meta[8..], 1); // head 0, tail 1
        fixture.Store.Upsert(key[..StoreKeys.MetaKey(key, "bob"u8)], meta);

        var bob = new Target("bob");
        queues.Attach(bob);
        Assert.Equal(frame, bob.Frames.Single());
    }
}
