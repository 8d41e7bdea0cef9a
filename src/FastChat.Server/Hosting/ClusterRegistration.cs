using FastChat.Protocol.Wire;
using FastChat.Server.Accounts;
using FastChat.Server.Cluster;
using FastChat.Server.Cluster.Membership;
using FastChat.Server.Cluster.Peers;
using FastChat.Server.Delivery;
using FastChat.Server.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FastChat.Server.Hosting;

/// <summary>The services a cluster node adds: membership in etcd, the view, the peer mesh and the mesh router.</summary>
internal static class ClusterRegistration
{
    public static void AddClusterNode(this IServiceCollection services, FastChatOptions options)
    {
        var cluster = options.Cluster;
        services.AddSingleton(cluster);
        services.AddSingleton(new ClusterState(cluster.NodeId));
        services.AddSingleton<IUserLocator, ClusterLocator>();
        services.AddSingleton<PeerMesh>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PeerMesh>());
        services.AddSingleton<PeerConnectionHandler>();
        services.AddSingleton<IMessageRouter, MeshMessageRouter>();
        services.AddHostedService(sp =>
        {
            var identity = sp.GetRequiredService<ServerIdentity>();
            var directory = sp.GetRequiredService<LocalDirectory>();
            string advertised = cluster.Advertised(options.ListenAddress);
            string client = Endpoints.Format(advertised, options.Port);
            string peer = Endpoints.Format(advertised, cluster.EffectivePeerPort(options.Port));
            string key = Convert.ToHexString(identity.PublicKey).ToLowerInvariant();
            return new EtcdMembership(cluster, sp.GetRequiredService<ClusterState>(),
                () => new MemberRecord(cluster.NodeId, client, peer, key, directory.Count),
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<EtcdMembership>>());
        });
    }
}
