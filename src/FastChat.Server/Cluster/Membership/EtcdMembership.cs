using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Cluster.Membership;

/// <summary>
/// This node's membership in etcd: registers its <see cref="MemberRecord"/> under a lease kept
/// alive every TTL/3, watches the cluster prefix (members and the partition table) and publishes
/// every change to <see cref="ClusterState"/>; creates the partition table once
/// <see cref="ClusterOptions.BootstrapExpect"/> nodes are live (a create-if-absent transaction,
/// so exactly one proposal wins). Ownership changes (<see cref="OwnershipPlanner"/>) go through
/// the same kind of transaction on the table's revision: the coordinator starts one, and any node
/// completes it once every source has reported its hand-off under <c>handoff/EPOCH/NODE</c>.
/// When etcd is unreachable the node keeps serving on its last view and retries with backoff;
/// no ownership change can start or finish meanwhile.
/// </summary>
internal sealed class EtcdMembership(ClusterOptions options, ClusterState state, Func<MemberRecord> describeSelf,
    ILogger<EtcdMembership> logger) : BackgroundService
{
    private readonly IReadOnlyList<Uri> _endpoints = options.EtcdEndpoints();
    private long _lease;
    private GrpcChannel? _channel;
    private volatile KV.KVClient? _kv;
    private volatile bool _leaving;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var endpoint = _endpoints[attempt % _endpoints.Count];
            try
            {
                await RunSessionAsync(endpoint, () => attempt = 0, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                logger.LogWarning("etcd at {Endpoint} failed ({Reason}); serving on the last view (epoch {Epoch}) and retrying.",
                    endpoint, ex.Message, state.View.Epoch);
            }
            attempt++;
            var backoff = TimeSpan.FromMilliseconds(Math.Min(5000, 100 * (1 << Math.Min(attempt, 6))) * (0.5 + Random.Shared.NextDouble() / 2));
            try { await Task.Delay(backoff, stoppingToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
    }

    private async Task RunSessionAsync(Uri endpoint, Action connected, CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress(endpoint);
        _channel = channel;
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var token = session.Token;
        var kv = new KV.KVClient(channel);
        _kv = kv;
        var leases = new Lease.LeaseClient(channel);

        var grant = await leases.LeaseGrantAsync(new LeaseGrantRequest { TTL = options.LeaseTtlSeconds }, cancellationToken: token).ConfigureAwait(false);
        _lease = grant.ID;
        await PutSelfAsync(kv, token).ConfigureAwait(false);
        connected();

        var members = new Dictionary<string, MemberRecord>(StringComparer.Ordinal);
        var handedOff = new HashSet<string>(StringComparer.Ordinal);
        PartitionTable? table = null;
        var snapshot = await kv.RangeAsync(new RangeRequest { Key = Bytes(options.KeyPrefix), RangeEnd = PrefixEnd(options.KeyPrefix) },
            cancellationToken: token).ConfigureAwait(false);
        foreach (var kvPair in snapshot.Kvs) Apply(kvPair, deleted: false, members, handedOff, ref table);
        Publish(members, table);
        await TryBootstrapAsync(kv, members, table, token).ConfigureAwait(false);
        await TryChangeOwnershipAsync(kv, members, handedOff, table, token).ConfigureAwait(false);

        var keepAlive = KeepAliveAsync(leases, token);
        var watch = WatchAsync(channel, snapshot.Header.Revision + 1, members, handedOff, table, kv, token);
        var first = await Task.WhenAny(keepAlive, watch).ConfigureAwait(false);
        session.Cancel();
        try { await Task.WhenAll(keepAlive, watch).ConfigureAwait(false); } catch when (first.IsFaulted) { }
        await first.ConfigureAwait(false); // the reason this session ended
        if (!stoppingToken.IsCancellationRequested) throw new InvalidOperationException("etcd session ended");
    }

    private Task PutSelfAsync(KV.KVClient kv, CancellationToken token) =>
        kv.PutAsync(new PutRequest { Key = Bytes(options.MembersPrefix + options.NodeId), Value = ByteString.CopyFrom((describeSelf() with { Leaving = _leaving }).ToJson()), Lease = _lease },
            cancellationToken: token).ResponseAsync;

    /// <summary>Republishes this node's record as leaving: the coordinator then moves all its partitions away.</summary>
    public async Task SetLeavingAsync(CancellationToken cancellationToken)
    {
        _leaving = true;
        await PutSelfAsync(_kv ?? throw new InvalidOperationException("not connected to etcd"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records that every partition leaving this node under <paramref name="epoch"/> is durable at its new owner.</summary>
    public Task ReportHandedOffAsync(long epoch, CancellationToken cancellationToken) =>
        ReportAsync(options.HandoffPrefix + OwnershipPlanner.MarkerKey(epoch, options.NodeId), "hand-off done", cancellationToken);

    /// <summary>The key saying this node's replicas hold all it wrote under <paramref name="epoch"/>.</summary>
    public string InSyncKey(long epoch) => options.InSyncPrefix + OwnershipPlanner.MarkerKey(epoch, options.NodeId);

    /// <summary>Puts a marker key (no lease: it must outlive this node), retrying until etcd has it.</summary>
    public async Task ReportAsync(string key, string what, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var kv = _kv ?? throw new InvalidOperationException("not connected to etcd");
                await kv.PutAsync(new PutRequest { Key = Bytes(key), Value = Bytes(what) }, cancellationToken: cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Reported {What}: {Key}.", what, key);
                return;
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                if (attempt % 20 == 0) logger.LogWarning("Could not report {What} to etcd ({Reason}); retrying.", what, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task KeepAliveAsync(Lease.LeaseClient leases, CancellationToken token)
    {
        using var call = leases.LeaseKeepAlive(cancellationToken: token);
        var interval = TimeSpan.FromSeconds(options.LeaseTtlSeconds / 3.0);
        while (!token.IsCancellationRequested)
        {
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = _lease }, token).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(token).ConfigureAwait(false)) throw new InvalidOperationException("keepalive stream closed");
            if (call.ResponseStream.Current.TTL <= 0) throw new InvalidOperationException("lease expired");
            await Task.Delay(interval, token).ConfigureAwait(false);
        }
    }

    private async Task WatchAsync(GrpcChannel channel, long fromRevision, Dictionary<string, MemberRecord> members, HashSet<string> handedOff,
        PartitionTable? table, KV.KVClient kv, CancellationToken token)
    {
        using var call = new Watch.WatchClient(channel).Watch(cancellationToken: token);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = Bytes(options.KeyPrefix), RangeEnd = PrefixEnd(options.KeyPrefix), StartRevision = fromRevision },
        }, token).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            if (response.Canceled) throw new InvalidOperationException($"watch canceled: {response.CancelReason}");
            if (response.Events.Count == 0) continue;
            foreach (var e in response.Events) Apply(e.Kv, e.Type == Mvccpb.Event.Types.EventType.Delete, members, handedOff, ref table);
            Publish(members, table);
            await TryBootstrapAsync(kv, members, table, token).ConfigureAwait(false);
            await TryChangeOwnershipAsync(kv, members, handedOff, table, token).ConfigureAwait(false);
        }
        throw new InvalidOperationException("watch stream closed");
    }

    private void Apply(Mvccpb.KeyValue kvPair, bool deleted, Dictionary<string, MemberRecord> members, HashSet<string> handedOff, ref PartitionTable? table)
    {
        var key = kvPair.Key.ToStringUtf8();
        if (key.StartsWith(options.HandoffPrefix, StringComparison.Ordinal) || key.StartsWith(options.InSyncPrefix, StringComparison.Ordinal))
        {
            var marker = key[options.KeyPrefix.Length..]; // handoff/EPOCH/NODE or insync/EPOCH/NODE
            if (deleted) handedOff.Remove(marker);
            else handedOff.Add(marker);
            return;
        }
        if (key == options.TableKey)
        {
            if (deleted) { logger.LogError("The partition table was deleted from etcd; keeping the last one (epoch {Epoch}).", table?.Epoch); return; }
            var parsed = PartitionTable.FromJson(kvPair.Value.Span, kvPair.ModRevision);
            if (parsed is null) logger.LogError("The partition table in etcd at revision {Revision} is not valid; ignored.", kvPair.ModRevision);
            else table = parsed;
        }
        else if (key.StartsWith(options.MembersPrefix, StringComparison.Ordinal))
        {
            var id = key[options.MembersPrefix.Length..];
            if (deleted) members.Remove(id);
            else if (MemberRecord.FromJson(kvPair.Value.Span) is { } member && member.NodeId == id) members[id] = member;
            else logger.LogWarning("Member record {Key} is not valid; ignored.", key);
        }
    }

    private void Publish(Dictionary<string, MemberRecord> members, PartitionTable? table)
    {
        var before = state.View;
        var view = new ClusterView(options.NodeId, table, members.Values);
        state.Publish(view);
        if (before.Epoch != view.Epoch || before.Members.Count != view.Members.Count)
            logger.LogInformation("Cluster view: epoch {Epoch}, {Live} live members ({Members}), this node owns {Owned} partitions.",
                view.Epoch, view.Members.Count, string.Join(",", view.Members.Keys.Order(StringComparer.Ordinal)),
                table?.CountOwnedBy(options.NodeId) ?? 0);
    }

    private async Task TryBootstrapAsync(KV.KVClient kv, Dictionary<string, MemberRecord> members, PartitionTable? table, CancellationToken token)
    {
        if (table is not null || members.Count < options.BootstrapExpect) return;
        var proposal = PartitionTable.Create(members.Keys.ToArray(), options.Partitions);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = Bytes(options.TableKey), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(options.TableKey), Value = ByteString.CopyFrom(proposal.ToJson()) } });
        var result = await kv.TxnAsync(txn, cancellationToken: token).ConfigureAwait(false);
        if (result.Succeeded) logger.LogInformation("Bootstrapped the partition table: {Partitions} partitions over {Nodes}.", options.Partitions, string.Join(",", proposal.Nodes));
    }

    /// <summary>
    /// Completes a change once every source has handed off (any node may: the transaction on the
    /// table's revision lets one win), or, on the coordinator, starts the change the planner asks for.
    /// </summary>
    private async Task TryChangeOwnershipAsync(KV.KVClient kv, Dictionary<string, MemberRecord> members, HashSet<string> handedOff,
        PartitionTable? table, CancellationToken token)
    {
        if (table is null) return;
        PartitionTable next;
        bool abandoning = false;
        if (table.InTransition)
        {
            if (OwnershipPlanner.Coordinator(members) == options.NodeId && OwnershipPlanner.Abandon(table, members) is { } without)
                (next, abandoning) = (without, true);
            else if (!OwnershipPlanner.Sources(table).All(node => handedOff.Contains("handoff/" + OwnershipPlanner.MarkerKey(table.Epoch, node)))) return;
            else next = table.Completed();
        }
        else
        {
            if (OwnershipPlanner.Coordinator(members) != options.NodeId) return;
            var failover = options.ReplicationFactor >= 2
                ? OwnershipPlanner.Failover(table, members, node => handedOff.Contains("insync/" + OwnershipPlanner.MarkerKey(table.Epoch, node)))
                : null;
            if ((failover ?? OwnershipPlanner.Propose(table, members)) is not { } proposal) return;
            next = proposal;
            if (failover is not null)
                logger.LogWarning("Failing over from epoch {Epoch}: {Promoted} partitions of {Dead} go to their replicas.", table.Epoch,
                    Enumerable.Range(0, table.Partitions).Count(p => table.OwnerOf(p) != next.OwnerOf(p)),
                    string.Join(",", table.Owning().Where(n => !members.ContainsKey(n))));
        }
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = Bytes(options.TableKey), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = table.Epoch });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(options.TableKey), Value = ByteString.CopyFrom(next.ToJson()) } });
        if (!next.InTransition)
            txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(options.HandoffPrefix), RangeEnd = PrefixEnd(options.HandoffPrefix) } });
        // In-sync reports name an epoch: none holds for the new table.
        txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(options.InSyncPrefix), RangeEnd = PrefixEnd(options.InSyncPrefix) } });
        var result = await kv.TxnAsync(txn, cancellationToken: token).ConfigureAwait(false);
        if (!result.Succeeded) return;
        if (next.InTransition)
            logger.LogInformation("Started an ownership change from epoch {Epoch}: {Moving} partitions move (owners {Owners}).", table.Epoch,
                Enumerable.Range(0, next.Partitions).Count(next.IsMoving), string.Join(",", next.Completed().Nodes));
        else if (abandoning) logger.LogWarning("Abandoned the ownership change of epoch {Epoch}: a node it moved partitions to is gone.", table.Epoch);
        else if (!table.InTransition) logger.LogWarning("Failed over from epoch {Epoch}: owners {Owners}.", table.Epoch, string.Join(",", next.Nodes));
        else logger.LogInformation("Completed the ownership change of epoch {Epoch}: owners {Owners}.", table.Epoch, string.Join(",", next.Nodes));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // A graceful stop leaves at once instead of after the lease's TTL.
        if (_channel is { } channel && _lease != 0)
        {
            try
            {
                await new Lease.LeaseClient(channel).LeaseRevokeAsync(new LeaseRevokeRequest { ID = _lease },
                    deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or ObjectDisposedException) { }
        }
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private static ByteString Bytes(string s) => ByteString.CopyFromUtf8(s);

    private static ByteString PrefixEnd(string prefix)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(prefix);
        bytes[^1]++;
        return ByteString.CopyFrom(bytes);
    }
}
