using FastChat.Server.Cluster;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FastChat.Server.Operations;

/// <summary>
/// Ready to take users: a single node once it started (the store is open before the listener);
/// a cluster node once it has the agreed table, its own live member record, and is not leaving.
/// </summary>
internal sealed class ReadinessCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService(typeof(ClusterState)) is not ClusterState state) return Task.FromResult(HealthCheckResult.Healthy("single node"));
        var view = state.View;
        if (view.Table is null) return Task.FromResult(HealthCheckResult.Unhealthy("the cluster has not bootstrapped"));
        if (view.Live(view.SelfId) is not { } self) return Task.FromResult(HealthCheckResult.Unhealthy("not registered in etcd"));
        if (self.Leaving) return Task.FromResult(HealthCheckResult.Unhealthy("leaving the cluster"));
        return Task.FromResult(HealthCheckResult.Healthy($"epoch {view.Epoch}, owns {view.Table.CountOwnedBy(view.SelfId)} partitions"));
    }
}
