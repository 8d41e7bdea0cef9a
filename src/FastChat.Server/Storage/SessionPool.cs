using FASTER.core;

namespace FastChat.Server.Storage;

using StoreSession = ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>>;

/// <summary>
/// FASTER sessions (a session is single-threaded), each taken with one CAS. When all are busy a
/// new one is added rather than waiting: an operation can wait on I/O that needs a thread-pool
/// thread, and threads spinning here for a session could starve the pool.
/// </summary>
internal sealed class SessionPool : IDisposable
{
    private const int Capacity = 1024;
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly StoreSession?[] _sessions = new StoreSession?[Capacity];
    private readonly int[] _busy = new int[Capacity];
    private readonly Lock _grow = new();
    private int _count;

    public SessionPool(FasterKV<SpanByte, SpanByte> kv, int initial)
    {
        _kv = kv;
        for (int i = 0; i < initial; i++) _sessions[i] = NewSession();
        _count = initial;
    }

    public int Count => Volatile.Read(ref _count);

    public int Rent()
    {
        var spin = new SpinWait();
        while (true)
        {
            int count = Volatile.Read(ref _count);
            int start = (int)((uint)Environment.CurrentManagedThreadId % (uint)count);
            for (int i = 0; i < count; i++)
            {
                int slot = (start + i) % count;
                if (Interlocked.CompareExchange(ref _busy[slot], 1, 0) == 0) return slot;
            }
            lock (_grow)
            {
                if (_count < Capacity)
                {
                    int slot = _count;
                    _busy[slot] = 1;
                    _sessions[slot] = NewSession();
                    Volatile.Write(ref _count, slot + 1);
                    return slot;
                }
            }
            spin.SpinOnce(); // 1024 sessions in use at once: wait for one
        }
    }

    public StoreSession this[int slot] => _sessions[slot]!;

    public void Return(int slot) => Volatile.Write(ref _busy[slot], 0);

    private StoreSession NewSession() => _kv.For(new SpanByteFunctions<Empty>()).NewSession<SpanByteFunctions<Empty>>();

    public void Dispose()
    {
        int count = Volatile.Read(ref _count);
        for (int i = 0; i < count; i++) _sessions[i]?.Dispose();
    }
}
