using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Routing;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Tests.Server;

/// <summary>
/// Routes that answer later, as the mesh's will: a router that holds entries for one recipient
/// until the test answers, the local router for everyone else.
/// </summary>
public class PendingRouteTests
{
    private sealed class LaterRouter(LocalMessageRouter local) : IMessageRouter
    {
        public readonly List<(IRouteCompletion Completion, ulong Token)> Held = new();

        public RouteResult Route(in RouteRequest request, IRouteCompletion? completion, ulong token)
        {
            if (!request.Recipient.SequenceEqual("faraway"u8)) return local.Route(request, completion, token);
            lock (Held) Held.Add((completion!, token));
            return RouteResult.Pending;
        }
    }

    private static byte[] Send(ulong id, ReadOnlySpan<byte> to)
    {
        var frame = new byte[MessageFrames.SendLength(to.Length, 2)];
        MessageFrames.WriteSend(frame, id, to, "hi"u8);
        return frame;
    }

    [Fact]
    public async Task A_late_refusal_holds_back_the_ack_then_is_remembered_for_a_retry()
    {
        LaterRouter? router = null;
        await using var server = await TestServer.StartAsync(configureServices: services =>
        {
            services.AddSingleton<LocalMessageRouter>();
            services.AddSingleton<IMessageRouter>(sp => router = new LaterRouter(sp.GetRequiredService<LocalMessageRouter>()));
        });
        await using var bob = await TestClient.ConnectAsync(server.Port, "bob");
        await using var raw = await RawConnection.RegisteredAsync(server.Port, "alice");

        await raw.WriteRecordAsync([.. Send(10, "faraway"u8), .. Send(11, "bob"u8)]);
        await bob.WaitForMessagesAsync(1); // 11 is queued and delivered; its ✓ waits for 10
        await Eventually.TrueAsync(() => { lock (router!.Held) return router.Held.Count == 1; });
        var (completion, token) = router!.Held[0];
        completion.OnRouted(token, RouteResult.UnknownRecipient);

        var seen = new List<(byte Type, byte[] Body)>();
        var ack = await raw.ReadUntilAsync(FrameType.ServerAck, seen);
        Assert.True(MessageFrames.TryParseU64(ack, out ulong upTo) && upTo == 11);
        var error = seen.Single(f => f.Type == (byte)FrameType.Error);
        Assert.True(ErrorBody.TryParse(error.Body, out var refused) && refused.RefId == 10 && refused.Code == ErrorCode.UnknownRecipient);
        Assert.True(seen.IndexOf(error) < seen.Count - 1, "the ERROR comes before the ack that passes over it");

        // A retry of 10 is below the high-water mark now: it must get its ERROR again, not an ack.
        await raw.WriteRecordAsync(Send(10, "faraway"u8));
        var frames = new List<(byte Type, byte[] Body)>();
        var again = await raw.ReadUntilAsync(FrameType.Error, frames);
        Assert.True(ErrorBody.TryParse(again, out var repeated) && repeated.RefId == 10 && repeated.Code == ErrorCode.UnknownRecipient);
        Assert.DoesNotContain(frames, f => f.Type == (byte)FrameType.ServerAck);
    }
}
