using System.Buffers.Binary;
using System.Diagnostics;
using FastChat.Protocol.Frames;
using FastChat.Soak;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Soak;

/// <summary>The soak harness's own counting: a real short run counts zero problems, and crafted
/// deliveries show that loss, duplication, reordering and corruption would be counted.</summary>
public class HarnessCountingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_short_throughput_run_against_a_real_server_delivers_everything_once_in_order(bool onePerRecord)
    {
        await using var server = await TestServer.StartAsync();
        using var target = ServerUnderTest.Attach($"127.0.0.1:{server.Port}", Environment.ProcessId);
        string[] args = ["throughput", "--pairs", "4", "--seconds", "1", "--window", "8", "--size", "64", "--parallel", "8", "--sources", "2"];
        var options = SoakOptions.Parse(onePerRecord ? [.. args, "--one-per-record"] : args);
        var result = await ThroughputMode.RunAsync(target, options, new LocalSync(Environment.ProcessId));
        Assert.Equal(onePerRecord ? "one_per_record" : "batched", (string)result["sends"]!);
        Assert.True((long)result["delivered"]! > 0);
        Assert.Equal(0L, (long)result["lost"]!);
        Assert.Equal(0L, (long)result["duplicated"]!);
        Assert.Equal(0L, (long)result["reordered"]!);
        Assert.Equal(0L, (long)result["corrupted"]!);
        Assert.Equal((long)result["sent_total"]!, (long)result["received_total"]!);
    }

    [Fact]
    public void Duplicates_gaps_and_corruption_are_counted()
    {
        var pair = new Pair("trcv0", null!, window: 8, size: 32, firstMessageId: 1);
        Deliver(pair, 0);
        Deliver(pair, 1);
        Deliver(pair, 1);                 // duplicate
        Deliver(pair, 3);                 // 2 skipped: out of order
        Deliver(pair, 4, corrupt: true);  // payload damaged
        Assert.Equal(1, pair.Duplicated);
        Assert.Equal(1, pair.Reordered);
        Assert.Equal(1, pair.Corrupted);
        Assert.Equal(5, pair.Received);
    }

    private static void Deliver(Pair pair, long seq, bool corrupt = false)
    {
        var payload = new byte[32];
        BinaryPrimitives.WriteInt64BigEndian(payload, seq);
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(8), Stopwatch.GetTimestamp());
        for (int b = 16; b < payload.Length; b++) payload[b] = (byte)(seq + b);
        if (corrupt) payload[20] ^= 0xFF;
        var frame = new byte[MessageFrames.DeliverLength(3, payload.Length)];
        MessageFrames.WriteDeliver(frame, (ulong)seq, DeliveryKind.Message, (ulong)seq + 1, 0, "snd"u8, payload);
        Assert.True(MessageFrames.TryParseDeliver(frame.AsSpan(4), out var view));
        pair.OnMessage(view, null);
    }
}
