using System.IO.Pipelines;
using FastChat.Server.Connections;
using Microsoft.AspNetCore.Connections;

namespace FastChat.Benchmarks;

/// <summary>Server-side client connections without sockets, their output drained as a socket would be; flushed inline by the benchmark.</summary>
internal sealed class BenchConnections(ServerContext server) : IDisposable
{
    private readonly List<Task> _drains = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly PooledMemoryPool _pool = new();

    public ClientConnection Connect(string user)
    {
        var options = new PipeOptions(pool: _pool, pauseWriterThreshold: 0, useSynchronizationContext: false);
        var transportPipe = new Pipe(options);
        var appPipe = new Pipe(options);
        var context = new DefaultConnectionContext(user, new DuplexPipe(appPipe.Reader, transportPipe.Writer), new DuplexPipe(transportPipe.Reader, appPipe.Writer));
        var connection = new ClientConnection(context, server) { InlineFlushForBenchmark = true };
        var (_, serverSide) = Fixtures.TransportPair();
        connection.StartSessionForBenchmark(user, serverSide);
        _drains.Add(Task.Run(async () =>
        {
            // Plays the socket: consume whatever the server writes.
            while (!_stop.IsCancellationRequested)
            {
                var result = await transportPipe.Reader.ReadAsync();
                transportPipe.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) break;
            }
        }));
        return connection;
    }

    public void Dispose() => _stop.Cancel();

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
