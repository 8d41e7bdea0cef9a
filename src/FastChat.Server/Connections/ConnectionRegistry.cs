using System.Collections.Concurrent;

namespace FastChat.Server.Connections;

/// <summary>Every open connection, for the timeout sweep and graceful shutdown.</summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<long, ClientConnection> _connections = new();
    private long _nextId;

    public int Count => _connections.Count;

    public long Add(ClientConnection connection)
    {
        long id = Interlocked.Increment(ref _nextId);
        _connections[id] = connection;
        return id;
    }

    public void Remove(long id) => _connections.TryRemove(id, out _);

    public IEnumerable<ClientConnection> All => _connections.Values;
}
