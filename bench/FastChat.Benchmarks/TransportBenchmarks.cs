using System.IO.Pipelines;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using FastChat.Server.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastChat.Benchmarks;

/// <summary>
/// The epoll transport's per-record work on a real socket pair (AF_UNIX, so no TCP stack in the
/// figure): receive one 147-byte record through the connection's PipeReader (recv into the pooled
/// buffer, hand it out, consume it, return the buffer), and send one through its PipeWriter
/// (write into the pooled buffer, flush = send). Each includes the peer's syscall on the other end.
/// </summary>
public unsafe partial class TransportBenchmarks
{
    private const int RecordLength = 147; // a sealed record carrying one 100-byte DELIVER
    private EpollEventLoop _engine = null!;
    private EpollConnection _connection = null!;
    private PipeReader _input = null!;
    private PipeWriter _output = null!;
    private int _peer;
    private readonly byte[] _record = new byte[RecordLength];
    private readonly byte[] _sink = new byte[4096];

    [GlobalSetup]
    public void Setup()
    {
        int* fds = stackalloc int[2];
        if (socketpair(1 /* AF_UNIX */, 1 | 0x800 /* SOCK_STREAM | SOCK_NONBLOCK */, 0, fds) != 0) throw new IOException("socketpair failed");
        _engine = new EpollEventLoop(NullLogger.Instance);
        _connection = new EpollConnection(_engine, new SocketDescriptor(fds[0]), 1);
        _input = _connection.Transport.Input;
        _output = _connection.Transport.Output;
        _peer = fds[1];
        Random.Shared.NextBytes(_record);
    }

    [Benchmark]
    public long ReceiveRecord()
    {
        fixed (byte* p = _record) send(_peer, p, RecordLength, 0);
        var read = _input.ReadAsync();
        if (!read.IsCompleted) throw new InvalidOperationException("the record should already be there");
        var buffer = read.Result.Buffer;
        _input.AdvanceTo(buffer.End);
        return buffer.Length;
    }

    [Benchmark]
    public long SendRecord()
    {
        _record.CopyTo(_output.GetSpan(RecordLength));
        _output.Advance(RecordLength);
        var flush = _output.FlushAsync();
        if (!flush.IsCompleted) throw new InvalidOperationException("a small record should fit the socket buffer");
        fixed (byte* p = _sink) return recv(_peer, p, _sink.Length, 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        close(_peer);
        _engine.Dispose();
    }

    [LibraryImport("libc")] private static partial int socketpair(int domain, int type, int protocol, int* fds);
    [LibraryImport("libc")] private static partial nint send(int fd, byte* buffer, nint length, int flags);
    [LibraryImport("libc")] private static partial nint recv(int fd, byte* buffer, nint length, int flags);
    [LibraryImport("libc")] private static partial int close(int fd);
}
