using System.Net;
using Microsoft.AspNetCore.Connections;
using FastChat.Server.Accounts;
using FastChat.Server.Connections;
using FastChat.Server.Operations;
using FastChat.Server.Delivery;
using FastChat.Server.Routing;
using FastChat.Server.Storage;
using FastChat.Server.Telemetry;
using FastChat.Server.Threading;
using FastChat.Server.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Hosting;

/// <summary>Builds the FastChat host: options, store, delivery, routing and the Kestrel endpoint.</summary>
public static class FastChatHost
{
    /// <param name="configureServices">Tests: replace services after FastChat's own (a fake TimeProvider, say).</param>
    public static WebApplication Build(string[] args, Action<FastChatOptions>? configure = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddServerSources(args); // the same sources the admin commands read
        var options = ServerConfiguration.BindOptions(builder.Configuration, configure);

        var services = builder.Services;
        bool epoll = options.Transport == "epoll" && LinuxNative.IsSupported;
        services.AddSingleton(options);
        // Each module gets its own part of the settings.
        services.AddSingleton(options.Connections);
        services.AddSingleton(options.Delivery);
        services.AddSingleton(options.Storage);
        services.AddSingleton(options.EpollTransport);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IWorkScheduler>(epoll ? new EpollWorkScheduler() : ThreadPoolWorkScheduler.Instance);
        services.AddMetrics();
        services.AddSingleton<FastChatMetrics>();
        services.AddSingleton(_ => ServerIdentity.LoadOrCreate(options.DataDirectory));
        services.AddSingleton(sp => new RegistrationCodes(options.DataDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IVerificationSender, LogVerificationSender>();
        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<StorageOptions>();
            return new FasterStore(storage.Directory, storage.MemoryMegabytes, sp.GetRequiredService<ILoggerFactory>().CreateLogger<FasterStore>(), storage.IndexBuckets);
        });
        services.AddSingleton(sp => new GroupCommit(sp.GetRequiredService<FasterStore>(), sp.GetRequiredService<FastChatMetrics>(),
            sp.GetRequiredService<ILogger<GroupCommit>>(), sp.GetRequiredService<StorageOptions>().CommitInterval));
        services.AddSingleton<AccountStore>();
        services.AddSingleton<LocalDirectory>();
        services.AddSingleton<UserQueues>();
        services.AddSingleton<LocalMessageRouter>();
        services.AddSingleton(options.Prekeys);
        services.AddSingleton(options.Devices);
        services.AddSingleton<DeviceLists.PendingLinks>();
        services.AddSingleton<DeviceLists.DeviceListStore>();
        services.AddSingleton(options.Groups);
        services.AddSingleton<Groups.HomedHere>(sp =>
        {
            var locator = sp.GetRequiredService<IUserLocator>();
            return user => locator.Locate(user).IsLocal;
        });
        services.AddSingleton<Groups.GroupStore>();
        services.AddSingleton(options.Presence);
        services.AddSingleton<Presence.PresenceStore>();
        services.AddSingleton<Presence.PresenceRoute>(sp =>
        {
            IMessageRouter? router = null; // resolved on first use: the routers depend on the hub
            return (to, kind, from, fromName, payload) =>
                (router ??= sp.GetRequiredService<IMessageRouter>()).Route(new RouteRequest(to, kind, 0, from, fromName, payload), null, 0);
        });
        services.AddSingleton<Presence.PresenceHub>();
        services.AddSingleton<Presence.PresenceWatches>();
        services.AddSingleton(options.Media);
        int mediaPort = options.Media.EffectivePort(options.Port);
        var mediaCertificate = mediaPort > 0 ? services.AddMediaServices(options, mediaPort) : null;
        services.AddSingleton<Prekeys.PrekeyStore>();
        services.AddSingleton<Prekeys.PrekeyRateLimits>();
        services.AddSingleton<Prekeys.LocalPrekeyDirectory>();
        if (options.Cluster.Enabled) services.AddClusterNode(options);
        else
        {
            services.AddSingleton<IUserLocator, SingleServerLocator>();
            services.AddSingleton<IOwnershipGate, OwnEveryone>();
            services.AddSingleton<IMessageRouter>(sp => sp.GetRequiredService<LocalMessageRouter>());
            services.AddSingleton<Prekeys.IPrekeyDirectory>(sp => sp.GetRequiredService<Prekeys.LocalPrekeyDirectory>());
        }
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<ServerContext>();
        services.AddHostedService<ShutdownCoordinator>();
        services.AddHostedService<ConnectionSweeper>();
        services.AddHostedService<StoreCompactor>();
        services.AddOperatorServices();

        configureServices?.Invoke(services);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Parse(options.ListenAddress), options.Port,
                listen => listen.UseConnectionHandler<FastChatConnectionHandler>());
            if (options.Cluster.Enabled)
                kestrel.Listen(IPAddress.Parse(options.ListenAddress), options.Cluster.EffectivePeerPort(options.Port),
                    listen => listen.UseConnectionHandler<Cluster.Peers.PeerConnectionHandler>());
            if (options.EffectiveHttpPort > 0) kestrel.ListenOperator(options.ListenAddress, options.EffectiveHttpPort);
            if (mediaCertificate is not null)
                kestrel.Listen(IPAddress.Parse(options.ListenAddress), mediaPort, listen =>
                {
                    listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(mediaCertificate);
                });
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddSingleton<FastChatConnectionHandler>();
        if (epoll) services.AddSingleton<IConnectionListenerFactory, EpollTransportFactory>(); // registered last: Kestrel binds with it

        var app = builder.Build();
        if (options.EffectiveHttpPort > 0) app.MapOperatorEndpoints(options.EffectiveHttpPort);
        if (mediaCertificate is not null) Media.MediaEndpoints.MapMediaEndpoints(app, mediaPort);
        var identity = app.Services.GetRequiredService<ServerIdentity>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FastChat");
        // Open the store before the first connection arrives, and log what clients may pin.
        app.Services.GetRequiredService<GroupCommit>();
        logger.LogInformation("FastChat server key {PublicKey}; data in {DataDirectory}; open registration {Open}; transport {Transport}.",
            Convert.ToHexString(identity.PublicKey).ToLowerInvariant(), options.DataDirectory, options.OpenRegistration,
            epoll ? "epoll" : "sockets");
        return app;
    }
}
