using FastChat.Server.Storage;
using FastChat.Server.Telemetry;
using FastChat.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastChat.Tests.Unit;

/// <summary>A real FASTER store and group commit in a temp directory, without a server around them.</summary>
internal sealed class StoreFixture : IDisposable
{
    private readonly TempDirectory _directory = new();

    public StoreFixture(TimeSpan? commitInterval = null)
    {
        Store = new FasterStore(_directory.Path, 16, NullLogger.Instance);
        Metrics = new FastChatMetrics();
        Commit = new GroupCommit(Store, Metrics, NullLogger<GroupCommit>.Instance, commitInterval ?? TimeSpan.Zero);
    }

    public FasterStore Store { get; }
    public FastChatMetrics Metrics { get; }
    public GroupCommit Commit { get; }

    public void Dispose()
    {
        Commit.Dispose();
        Store.Dispose();
        Metrics.Dispose();
        _directory.Dispose();
    }
}
