using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Server;

/// <summary>A ✓✓ for a sender whose ✓ waits for the group commit rides in the record of that ✓ (one record, one send()).</summary>
public class ReceiptPiggybackTests
{
    [Fact]
    public async Task A_delivered_receipt_waits_for_the_pending_server_ack_and_shares_its_record()
    {
        // A long commit interval: bob's acknowledgement certainly arrives before alice's ✓ is due.
        await using var server = await TestServer.StartAsync(o => o.CommitIntervalMicroseconds = 2_000_000);
        await using var bob = await RawConnection.RegisteredAsync(server.Port, "bob");
        await using var alice = await RawConnection.RegisteredAsync(server.Port, "alice");

        var send = new byte[64];
        int n = MessageFrames.WriteSend(send, 7, "bob"u8, "hi"u8);
        await alice.WriteRecordAsync(send[..n]);

        var deliver = await bob.ReadUntilAsync(FrameType.Deliver);
        Assert.True(MessageFrames.TryParseDeliver(deliver, out var view));
        var ack = new byte[MessageFrames.U64FrameLength];
        MessageFrames.WriteU64(ack, FrameType.DeliveryAck, view.Sequence);
        await bob.WriteRecordAsync(ack);

        // alice's next record holds both: the receipt was held until the commit that brings the ✓.
        List<(byte Type, byte[] Body)> record;
        do record = await alice.ReadFramesAsync();
        while (record.All(f => f.Type is (byte)FrameType.Ping));
        Assert.Contains(record, f => f.Type == (byte)FrameType.ServerAck && MessageFrames.TryParseU64(f.Body, out ulong upTo) && upTo == 7);
        Assert.Contains(record, f => f.Type == (byte)FrameType.Deliver && MessageFrames.TryParseDeliver(f.Body, out var r)
            && r.Kind == DeliveryKind.DeliveredReceipt && r.MessageId == 7);
    }
}
