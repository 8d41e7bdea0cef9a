using System.Net;
using FastChat.Server.Cluster;
using FastChat.Server.Cluster.Peers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Prometheus;

namespace FastChat.Server.Operations;

/// <summary>
/// The operators' HTTP port: Prometheus metrics (prometheus-net, which exports every
/// System.Diagnostics.Metrics meter, FastChat.Server included), liveness and readiness (ASP.NET
/// Core health checks), on a cluster node <c>/cluster</c> (ring, members, links as JSON), and
/// <c>POST /drain</c> (a graceful stop, from this host only). Nothing else is served on it; the
/// client and peer ports speak only FastChat.
/// </summary>
internal static class OperatorEndpoints
{
    public static void AddOperatorServices(this IServiceCollection services) =>
        services.AddHealthChecks().AddCheck<ReadinessCheck>("ready", tags: ["ready"]);

    public static void ListenOperator(this KestrelServerOptions kestrel, string address, int port) =>
        kestrel.Listen(IPAddress.Parse(address), port, listen => listen.Protocols = HttpProtocols.Http1);

    public static void MapOperatorEndpoints(this WebApplication app, int port)
    {
        string host = $"*:{port}";
        // prometheus-net starts listening to .NET meters at its first collection (prometheus-net
        // issue 487): collect once now, so measurements from before the first scrape are counted.
        Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null).GetAwaiter().GetResult();
        app.MapMetrics("/metrics").RequireHost(host);
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).RequireHost(host);
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).RequireHost(host);
        app.MapGet("/cluster", (HttpContext context) =>
        {
            var services = context.RequestServices;
            if (services.GetService<ClusterState>() is not { } state) return Results.NotFound("not a cluster node");
            var report = ClusterReport.Of(state, services.GetRequiredService<PeerMesh>(), services.GetRequiredService<ParkedRoutes>());
            return Results.Json(report, OperationsJson.Default.ClusterReport);
        }).RequireHost(host);
        app.MapPost("/drain", (HttpContext context) =>
        {
            // Stopping a node is not for anyone who can reach the port: only a caller on this host.
            if (context.Connection.RemoteIpAddress is not { } caller || !IPAddress.IsLoopback(caller))
                return Results.Text("drain is accepted from this host only\n", statusCode: StatusCodes.Status403Forbidden);
            var state = context.RequestServices.GetService<ClusterState>();
            string what = state?.View is { Table: { } table } view
                ? $"draining {view.SelfId}: handing its {table.CountOwnedBy(view.SelfId)} partitions to the other nodes, then stopping\n"
                : "stopping (not a cluster node: nothing to hand over)\n";
            // The same graceful stop as SIGTERM (ShutdownCoordinator): leave, redirect, close, exit.
            context.RequestServices.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            return Results.Text(what, statusCode: StatusCodes.Status202Accepted);
        }).RequireHost(host);
    }
}
