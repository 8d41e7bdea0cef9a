using System.Diagnostics;
using System.Text.Json.Nodes;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Soak;

/// <summary>
/// <c>failover --server ENTRY --receivers-at VICTIM --victim-pid PID</c>: one sender homed on the
/// entry node writes, one message in flight at a time, to a user homed on the victim; after a
/// second of ✓s it SIGKILLs the victim and measures until the first ✓ for that user again — the
/// time the dead node's user could not be written to (failover: lease expiry, the failover
/// transaction, the new home serving). Sends answered with ERROR meanwhile are counted (not
/// acknowledged, so not lost).
/// </summary>
internal static class FailoverMode
{
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, SoakOptions o, RunSync sync)
    {
        if (o.ReceiversAt is not { } victimAt || o.VictimPid == 0) throw new ArgumentException("failover needs --receivers-at VICTIM and --victim-pid PID");
        var sources = o.SourceAddresses;
        var (recipients, recipientNames) = await Connector.OpenHomedAsync(ThroughputMode.EndPointOf(victimAt), [$"{o.UserPrefix}for"], sources, 1, "recipient");
        recipients[0].Dispose(); // offline: what it is sent stays queued at its home
        var (senders, _) = await Connector.OpenHomedAsync(server.EndPoint, [$"{o.UserPrefix}fos"], sources, 1, "sender");
        var io = new RecordIo(senders[0]);
        var to = System.Text.Encoding.ASCII.GetBytes(recipientNames[0]);
        var payload = new byte[100];
        ulong id = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var clock = Stopwatch.StartNew();
        double killedAt = -1, firstAckAfter = -1;
        int acked = 0, errors = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (firstAckAfter < 0)
        {
            id++;
            int n = MessageFrames.WriteSend(io.Reserve(MessageFrames.SendLength(to.Length, payload.Length)), id, to, payload);
            io.Commit(n);
            await io.FlushAsync(deadline.Token);
            double sentAt = clock.Elapsed.TotalMilliseconds;
            bool? ok = null;
            ulong awaited = id;
            while (ok is null)
            {
                if (!await io.ReceiveAsync((in Frame frame) =>
                    {
                        if (frame.Type == (byte)FrameType.ServerAck && MessageFrames.TryParseU64(frame.Body, out ulong upTo) && upTo >= awaited) ok = true;
                        else if (frame.Type == (byte)FrameType.Error && ErrorBody.TryParse(frame.Body, out var error) && error.RefId == awaited) ok = false;
                    }, deadline.Token))
                    throw new InvalidOperationException("the entry node closed the sender's connection");
            }
            if (ok == true) acked++;
            else errors++;
            if (killedAt < 0 && clock.Elapsed.TotalSeconds > 1 && acked > 0)
            {
                Process.GetProcessById(o.VictimPid).Kill();
                killedAt = clock.Elapsed.TotalMilliseconds;
                Console.Error.WriteLine($"killed {o.VictimPid} after {acked} acknowledged sends");
            }
            else if (killedAt >= 0 && ok == true && sentAt >= killedAt) firstAckAfter = clock.Elapsed.TotalMilliseconds;
        }
        senders[0].Dispose();
        return new JsonObject
        {
            ["mode"] = "failover",
            ["failover_ms"] = Math.Round(firstAckAfter - killedAt),
            ["acknowledged"] = acked,
            ["errors_meanwhile"] = errors,
        };
    }

    public static readonly MergeRules Rules = new([], [], _ => { });
}
