using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using FastChat.Protocol.Frames;

namespace FastChat.Soak;

/// <summary>
/// <c>offline --users U --msgs M</c>: one sender sends M messages round-robin to U users who are
/// offline, keeping at most W unacknowledged; measured until the last SERVER_ACK (durable
/// enqueues per second). Then the U users connect and drain; measured until every message has
/// arrived. Each message carries (user index, per-user sequence), so the drain checks that every
/// one arrived exactly once and in order.
/// </summary>
internal static class OfflineMode
{
    public static async Task<JsonObject> RunAsync(ServerUnderTest server, SoakOptions o, RunSync sync)
    {
        var sources = o.SourceAddresses;
        var endpoint = server.EndPoint;
        var users = Enumerable.Range(0, o.Users).Select(i => $"{o.UserPrefix}off{i}").ToArray();
        LeanConnection?[] senders;
        if (o.Homed)
        {
            var (registered, homedNames) = await Connector.OpenHomedAsync(endpoint, users, sources, o.Parallelism, "register");
            foreach (var c in registered) c.Dispose();
            users = homedNames;
            (senders, _) = await Connector.OpenHomedAsync(endpoint, [$"{o.UserPrefix}offsender"], sources, 1, "sender");
        }
        else
        {
            await Connector.RegisterAsync(endpoint, users, sources, o.Parallelism);
            (senders, _, _) = await Connector.OpenManyAsync(endpoint, [$"{o.UserPrefix}offsender"], sources, 1, "sender");
        }
        using var stop = new CancellationTokenSource();
        var senderIo = new RecordIo(senders[0]!);
        var senderPump = new ConnectionPump(senderIo, null, () => null) { OnServerAck = new AsyncSignal() };
        var pumpTask = Task.Run(() => senderPump.RunAsync(stop.Token));

        var names = users.Select(Encoding.ASCII.GetBytes).ToArray();
        var payload = new byte[Math.Max(16, o.Size)];
        ulong firstId = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        long window = Math.Max(1, o.Window), sent = 0;
        var before = await sync.SampleAsync("enqueue");
        long Acked()
        {
            ulong last = Volatile.Read(ref senderPump.LastServerAck);
            return last >= firstId ? (long)(last - firstId) + 1 : 0;
        }
        while (Acked() < o.Messages)
        {
            long acked = Acked();
            long room = Math.Min(window - (sent - acked), o.Messages - sent);
            if (senderPump.Failure is not null) throw new InvalidOperationException("sender failed: " + senderPump.Failure);
            if (room <= 0)
            {
                await Task.WhenAny(senderPump.OnServerAck.WaitAsync().AsTask(), Task.Delay(1000));
                continue;
            }
            for (long i = 0; i < room; i++, sent++)
            {
                int user = (int)(sent % o.Users);
                BinaryPrimitives.WriteInt64BigEndian(payload, user);
                BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(8), sent / o.Users);
                int length = MessageFrames.SendLength(names[user].Length, payload.Length);
                MessageFrames.WriteSend(senderIo.Reserve(length), firstId + (ulong)sent, names[user], payload);
                senderIo.Commit(length);
            }
            await senderIo.FlushAsync(stop.Token);
            Console.Error.Write($"\renqueue: {acked}/{o.Messages} acked   ");
        }
        var afterEnqueue = await sync.SampleAsync("enqueued");
        Console.Error.WriteLine();
        if (o.Keep)
        {
            stop.Cancel();
            senders[0]!.Dispose();
            var kept = new JsonObject
            {
                ["mode"] = "offline", ["users"] = o.Users, ["msgs"] = o.Messages, ["size"] = payload.Length, ["window"] = window, ["kept"] = true,
                ["enqueue_seconds"] = Math.Round((afterEnqueue.At - before.At).TotalSeconds, 3),
                ["server_cpu_enqueue_seconds"] = Math.Round(afterEnqueue.CpuSeconds - before.CpuSeconds, 3),
            };
            kept["acked_enqueues_per_second"] = Math.Round(o.Messages / Math.Max(kept["enqueue_seconds"].Number(), 1e-3), 0);
            return kept;
        }

        // Drain: every user connects and receives its share.
        var expected = new long[o.Users];
        long received = 0, duplicated = 0, outOfOrder = 0, misdelivered = 0;
        var drainWatch = Stopwatch.StartNew();
        var (receivers, failed, _) = await Connector.OpenManyAsync(endpoint, users, sources, o.Parallelism, "drain");
        var pumps = new List<Task>();
        for (int u = 0; u < o.Users; u++)
        {
            if (receivers[u] is null) continue;
            int index = u;
            var pump = new ConnectionPump(new RecordIo(receivers[u]!), null, () => null)
            {
                OnDeliver = (in DeliverView d) =>
                {
                    long user = BinaryPrimitives.ReadInt64BigEndian(d.Payload);
                    long seq = BinaryPrimitives.ReadInt64BigEndian(d.Payload[8..]);
                    if (user != index) { Interlocked.Increment(ref misdelivered); return; }
                    if (seq == expected[index]) expected[index]++;
                    else if (seq < expected[index]) { Interlocked.Increment(ref duplicated); return; }
                    else { Interlocked.Increment(ref outOfOrder); expected[index] = seq + 1; }
                    Interlocked.Increment(ref received);
                },
            };
            pumps.Add(Task.Run(() => pump.RunAsync(stop.Token)));
        }
        while (Volatile.Read(ref received) < o.Messages && drainWatch.Elapsed < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(20);
            Console.Error.Write($"\rdrain: {Volatile.Read(ref received)}/{o.Messages}   ");
        }
        var afterDrain = await sync.SampleAsync("drained");
        await Task.Delay(500); // anything arriving late would be a duplicate: give it a chance to show
        Console.Error.WriteLine();
        stop.Cancel();
        foreach (var c in receivers) c?.Dispose();
        senders[0]!.Dispose();

        var result = new JsonObject
        {
            ["mode"] = "offline",
            ["users"] = o.Users,
            ["msgs"] = o.Messages,
            ["window"] = window,
            ["enqueue_seconds"] = Math.Round((afterEnqueue.At - before.At).TotalSeconds, 3),
            ["server_cpu_enqueue_seconds"] = Math.Round(afterEnqueue.CpuSeconds - before.CpuSeconds, 3),
            ["drain_seconds"] = Math.Round((afterDrain.At - afterEnqueue.At).TotalSeconds, 3),
            ["server_cpu_drain_seconds"] = Math.Round(afterDrain.CpuSeconds - afterEnqueue.CpuSeconds, 3),
            ["received"] = received,
            ["missing"] = o.Messages - received,
            ["duplicated"] = duplicated,
            ["out_of_order"] = outOfOrder,
            ["misdelivered"] = misdelivered,
            ["drain_connect_failures"] = failed,
        };
        Derive(result);
        return result;
    }

    public static readonly MergeRules Rules = new(
        Shared: ["enqueue_seconds", "server_cpu_enqueue_seconds", "drain_seconds", "server_cpu_drain_seconds"], Max: [], Derive: Derive);

    private static void Derive(JsonObject r)
    {
        long msgs = r["msgs"].Integer(), received = r["received"].Integer();
        double enqueueSeconds = r["enqueue_seconds"].Number(), drainSeconds = r["drain_seconds"].Number();
        r["acked_enqueues_per_second"] = enqueueSeconds > 0 ? Math.Round(msgs / enqueueSeconds, 0) : 0;
        r["server_cpu_us_per_enqueue"] = msgs == 0 ? 0 : Math.Round(r["server_cpu_enqueue_seconds"].Number() * 1e6 / msgs, 2);
        r["drained_per_second"] = drainSeconds > 0 ? Math.Round(received / drainSeconds, 0) : 0;
        r["server_cpu_us_per_drained"] = received == 0 ? 0 : Math.Round(r["server_cpu_drain_seconds"].Number() * 1e6 / received, 2);
        r["exactly_once"] = received == msgs && r["duplicated"].Integer() == 0 && r["out_of_order"].Integer() == 0 && r["misdelivered"].Integer() == 0;
    }
}
