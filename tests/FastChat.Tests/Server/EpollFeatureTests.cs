using FastChat.Server.Transport;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastChat.Tests.Server;

/// <summary>The epoll connection is its own feature collection: what Kestrel stores must come back, replaced and removed like a dictionary.</summary>
public class EpollFeatureTests
{
    private sealed class Heartbeat : IConnectionHeartbeatFeature { public void OnHeartbeat(Action<object> action, object state) { } }
    private sealed class Other;
    private sealed class Third;

    [Fact]
    public async Task Features_are_stored_replaced_removed_and_enumerated_once_each()
    {
        using var engine = new EpollEventLoop(NullLogger.Instance);
        await using var connection = new EpollConnection(engine, new SocketDescriptor(-1), 1);
        IFeatureCollection features = connection.Features;

        Assert.Same(connection, features.Get<IConnectionIdFeature>());
        var heartbeat = new Heartbeat();
        features.Set<IConnectionHeartbeatFeature>(heartbeat);
        var (other, third) = (new Other(), new Third());
        features.Set(other);
        features.Set(third);
        Assert.Same(heartbeat, features.Get<IConnectionHeartbeatFeature>());
        Assert.Same(other, features.Get<Other>());
        Assert.Same(third, features.Get<Third>());

        features.Set<Other>(null);
        Assert.Null(features.Get<Other>());
        var other2 = new Other();
        features.Set(other2);
        Assert.Same(other2, features.Get<Other>());
        Assert.Same(third, features.Get<Third>());

        var types = features.Select(f => f.Key).ToList();
        Assert.Equal(types.Count, types.Distinct().Count());
        Assert.Contains(typeof(Other), types);
        Assert.Contains(typeof(Third), types);
        Assert.Contains(typeof(IConnectionHeartbeatFeature), types);
        Assert.Throws<NotSupportedException>(() => features.Set<IConnectionIdFeature>(null));
    }
}
