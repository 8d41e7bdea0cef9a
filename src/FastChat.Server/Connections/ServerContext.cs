using FastChat.Server.Accounts;
using FastChat.Server.Delivery;
using FastChat.Server.Routing;
using FastChat.Server.Storage;
using FastChat.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Connections;

/// <summary>The server-wide services every connection uses, gathered so a connection holds one reference.</summary>
internal sealed class ServerContext(
    ConnectionOptions options,
    ServerIdentity identity,
    IMessageRouter router,
    IUserLocator locator,
    UserQueues queues,
    AccountStore accounts,
    RegistrationCodes codes,
    IVerificationSender verificationSender,
    GroupCommit commit,
    FasterStore store,
    ConnectionRegistry registry,
    FastChatMetrics metrics,
    TimeProvider time,
    Threading.IWorkScheduler scheduler,
    Prekeys.PrekeyStore prekeys,
    Prekeys.IPrekeyDirectory prekeyDirectory,
    Prekeys.PrekeyRateLimits prekeyLimits,
    DeviceLists.DeviceListStore deviceLists,
    DeviceLists.PendingLinks pendingLinks,
    DeviceLists.DeviceOptions deviceOptions,
    Groups.GroupStore groups,
    Presence.PresenceOptions presenceOptions,
    Presence.PresenceStore presenceStore,
    Presence.PresenceHub presence,
    Presence.PresenceWatches presenceWatches,
    Media.MediaOptions mediaOptions,
    ILoggerFactory loggerFactory,
    Media.MediaService? media = null)
{
    public ConnectionOptions Options { get; } = options;
    public ServerIdentity Identity { get; } = identity;
    public IMessageRouter Router { get; } = router;
    public IUserLocator Locator { get; } = locator;
    public UserQueues Queues { get; } = queues;
    public AccountStore Accounts { get; } = accounts;
    public RegistrationCodes Codes { get; } = codes;
    public IVerificationSender VerificationSender { get; } = verificationSender;
    public GroupCommit Commit { get; } = commit;
    public FasterStore Store { get; } = store;
    public ConnectionRegistry Registry { get; } = registry;
    public FastChatMetrics Metrics { get; } = metrics;
    public ServerClock Clock { get; } = new(time);
    public Threading.IWorkScheduler Scheduler { get; } = scheduler;
    public Prekeys.PrekeyStore Prekeys { get; } = prekeys;
    public Prekeys.IPrekeyDirectory PrekeyDirectory { get; } = prekeyDirectory;
    public Prekeys.PrekeyRateLimits PrekeyLimits { get; } = prekeyLimits;
    public DeviceLists.DeviceListStore DeviceLists { get; } = deviceLists;
    public DeviceLists.PendingLinks PendingLinks { get; } = pendingLinks;
    public DeviceLists.DeviceOptions DeviceOptions { get; } = deviceOptions;
    public Groups.GroupStore Groups { get; } = groups;
    public Presence.PresenceOptions PresenceOptions { get; } = presenceOptions;
    public Presence.PresenceStore PresenceStore { get; } = presenceStore;
    public Presence.PresenceHub Presence { get; } = presence;
    public Presence.PresenceWatches PresenceWatches { get; } = presenceWatches;
    public Media.MediaOptions MediaOptions { get; } = mediaOptions;
    /// <summary>Null when the media endpoint is off.</summary>
    public Media.MediaService? Media { get; } = media;
    public ILogger Logger { get; } = loggerFactory.CreateLogger("FastChat.Connections");
    public volatile bool ShuttingDown;

    /// <summary>Handshake message 2's payload: the same for every connection, so encoded once.</summary>
    public byte[] ServerHelloPayload { get; } = new Protocol.Frames.ServerHello(Protocol.Wire.Preamble.CurrentVersion, options.ServerName,
        Protocol.Wire.ProtocolLimits.MaxRecordPlaintext, options.MaxPayloadBytes, (int)options.Keepalive.TotalSeconds).Encode();
}
