using BenchmarkDotNet.Attributes;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using FastChat.Server.Connections;
using FastChat.Server.Groups;
using Microsoft.Extensions.DependencyInjection;

namespace FastChat.Benchmarks;

/// <summary>
/// The server's work for one group message, per delivered copy: alice's GROUP_SEND (100-byte
/// payload) to a group of <see cref="Members"/> other online members on this node — membership
/// check, one durable queue entry and one DELIVER per member device, pushed and sealed into each
/// member's pipe — and every member's DELIVERY_ACK (delete). Group commit every millisecond, on
/// its own thread. This version stores a copy per member device; storing once per partition is
/// the next step, measured against this.
/// </summary>
public class GroupFanOutBenchmarks : GroupFanOutBench
{
    /// <summary>Fixed at 32 (OperationsPerInvoke is a constant).</summary>
    public const int Count = 32;
    protected override int Members => Count;

    [Benchmark(OperationsPerInvoke = Count)]
    public bool GroupSendToEveryMember() => SendOnce();
}

/// <summary>The same for the largest group: alice and 1023 other members online (1024, the limit), 1023 copies per message; the time of one operation times 1023 is the time until the last member's connection has sealed its copy.</summary>
public class GroupFanOut1024Benchmarks : GroupFanOutBench
{
    public const int Count = 1023;
    protected override int Members => Count;

    [Benchmark(OperationsPerInvoke = Count)]
    public bool GroupSendToEveryMember() => SendOnce();
}

public abstract class GroupFanOutBench
{
    protected abstract int Members { get; }
    private BenchServer _host = null!;
    private BenchConnections _connections = null!;
    private ClientConnection _alice = null!;
    private ClientConnection[] _members = null!;
    private ulong[] _memberSeq = null!;
    private byte[] _groupId = null!;
    private byte[] _send = null!;
    private readonly byte[] _payload = new byte[100];
    private readonly byte[] _ack = new byte[MessageFrames.U64FrameLength];
    private ulong _nextId = 1;

    [GlobalSetup]
    public void Setup()
    {
        _host = new BenchServer(o =>
        {
            o.MaxFramesPerSecond = 100_000_000;
            o.FrameBurst = 100_000_000;
            o.CommitIntervalMicroseconds = 1000;
        });
        var services = _host.App.Services;
        var server = services.GetRequiredService<ServerContext>();
        var accounts = services.GetRequiredService<AccountStore>();
        var names = Enumerable.Range(0, Members).Select(i => $"member{i}").Prepend("alice").ToArray();
        foreach (var name in names) accounts.CreateAsync(name, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), 0).GetAwaiter().GetResult();
        _groupId = FastChat.Client.FastChatClient.NewGroupId();
        var created = services.GetRequiredService<GroupStore>().ChangeAsync("alice", new GroupChangeBody(1, GroupOp.Create, _groupId, "bench", names[1..])).GetAwaiter().GetResult();
        if (created.Result.Status != GroupStatusCode.Done) throw new InvalidOperationException(created.Result.Message);
        _connections = new BenchConnections(server);
        _alice = _connections.Connect("alice");
        _members = names[1..].Select(_connections.Connect).ToArray();
        _memberSeq = new ulong[Members];
        // Made straight in the store: no creation announcement waits in the queues.
        _send = new byte[GroupSendFrames.Length(_payload.Length)];
    }

    protected bool SendOnce()
    {
        GroupSendFrames.Write(_send, _nextId++, _groupId, _payload);
        bool ok = _alice.DispatchFrames(_send, _send.Length);
        for (int i = 0; i < _members.Length; i++)
        {
            _members[i].FlushInline();
            MessageFrames.WriteU64(_ack, FrameType.DeliveryAck, _memberSeq[i]++);
            ok &= _members[i].DispatchFrames(_ack, _ack.Length);
        }
        _alice.FlushInline(); // SERVER_ACKs the group commit queued
        if (!ok) throw new InvalidOperationException("dispatch failed");
        return ok;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connections.Dispose();
        _host.Dispose();
    }
}
