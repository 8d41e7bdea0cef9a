using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using FastChat.Server.Cluster;
using FastChat.Server.Cluster.Handoff;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Cluster.Replication;
using FastChat.Server.Delivery;
using FastChat.Server.Routing;
using FastChat.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Hosting;

/// <summary>
/// The services a cluster node adds: membership in etcd, the view, the ownership gate, the peer
/// mesh, the mesh router with its held entries, and the hand-off of partitions.
/// </summary>
internal static class ClusterRegistration
{
    public static void AddClusterNode(this IServiceCollection services, FastChatOptions options)
    {
        var cluster = options.Cluster;
        services.AddSingleton(cluster);
        services.AddSingleton(new ClusterState(cluster.NodeId));
        services.AddSingleton<IUserLocator, ClusterLocator>();
        services.AddSingleton<IOwnershipGate, ClusterOwnershipGate>();
        services.AddSingleton(sp => new ParkedRoutes(cluster.HoldEntries, TimeSpan.FromSeconds(cluster.HoldSeconds), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<HandoffMetrics>();
        services.AddSingleton<HandoffTarget>();
        services.AddSingleton<HandoffReplies>();
        services.AddSingleton<IPeerFrameConsumer>(sp => sp.GetRequiredService<HandoffTarget>());
        services.AddSingleton<IPeerFrameConsumer>(sp => sp.GetRequiredService<HandoffReplies>());
        if (cluster.ReplicationFactor >= 2)
        {
            services.AddSingleton<ReplicationMetrics>();
            services.AddSingleton<ReplicaStreams>();
            services.AddSingleton<InSyncReports>();
            services.AddHostedService<TakeoverGuard>();
            services.AddSingleton<IPeerFrameConsumer, ReplicaAcks>();
            services.AddSingleton<IPeerFrameConsumer, ReplicaApplier>();
            services.AddHostedService<ReplicationPrimary>();
        }
        services.AddSingleton<Cluster.Prekeys.PrekeyReplies>();
        services.AddSingleton<IPeerFrameConsumer>(sp => sp.GetRequiredService<Cluster.Prekeys.PrekeyReplies>());
        services.AddSingleton<IPeerFrameConsumer, Cluster.Prekeys.PrekeyAnswerer>();
        services.AddSingleton<Prekeys.IPrekeyDirectory, Cluster.Prekeys.MeshPrekeyDirectory>();
        services.AddSingleton<PeerMesh>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PeerMesh>());
        services.AddSingleton<PeerConnectionHandler>();
        services.AddSingleton<IMessageRouter, MeshMessageRouter>();
        services.AddSingleton(sp =>
        {
            var identity = sp.GetRequiredService<ServerIdentity>();
            var directory = sp.GetRequiredService<LocalDirectory>();
            string advertised = cluster.Advertised(options.ListenAddress);
            string client = Endpoints.Format(advertised, options.Port);
            string peer = Endpoints.Format(advertised, cluster.EffectivePeerPort(options.Port));
            string key = Convert.ToHexString(identity.PublicKey).ToLowerInvariant();
            return new EtcdMembership(cluster, sp.GetRequiredService<ClusterState>(),
                () => new MemberRecord(cluster.NodeId, client, peer, key, directory.Count),
                sp.GetRequiredService<ILogger<EtcdMembership>>());
        });
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<EtcdMembership>());
        services.AddSingleton<HandoffSource>();
        services.AddSingleton<OwnershipWorker>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<OwnershipWorker>());
        // A graceful stop first hands the node's partitions to the others (ShutdownCoordinator, OwnershipWorker.LeaveAsync).
        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(cluster.LeaveTimeoutSeconds + 15));
    }
}
