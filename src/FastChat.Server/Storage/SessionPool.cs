using FASTER.core;

namespace FastChat.Server.Storage;

using StoreSession = ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>>;

/// <summary>
/// A fixed set of FASTER sessions (a session is single-threaded), created up front: a slot is
/// taken with one CAS and never more sessions exist than slots, so a checkpoint knows every
/// session it must wait for and can nudge the idle ones.
/// </summary>
internal sealed class SessionPool : IDisposable
{
    private readonly StoreSession[] _sessions;
    private readonly int[] _busy;

    public SessionPool(FasterKV<SpanByte, SpanByte> kv, int size)
    {
        _sessions = new StoreSession[size];
        _busy = new int[size];
        for (int i = 0; i < size; i++) _sessions[i] = kv.For(new SpanByteFunctions<Empty>()).NewSession<SpanByteFunctions<Empty>>();
    }

    public int Rent()
    {
        int start = (int)((uint)Environment.CurrentManagedThreadId % (uint)_sessions.Length);
        var spin = new SpinWait();
        while (true)
        {
            for (int i = 0; i < _sessions.Length; i++)
            {
                int slot = (start + i) % _sessions.Length;
                if (Interlocked.CompareExchange(ref _busy[slot], 1, 0) == 0) return slot;
            }
            spin.SpinOnce();
        }
    }

    public StoreSession this[int slot] => _sessions[slot];

    public void Return(int slot) => Volatile.Write(ref _busy[slot], 0);

    /// <summary>Runs a refresh on every session not in use right now.</summary>
    public void RefreshIdle()
    {
        for (int slot = 0; slot < _sessions.Length; slot++)
        {
            if (Interlocked.CompareExchange(ref _busy[slot], 1, 0) != 0) continue;
            try { _sessions[slot].Refresh(); }
            finally { Return(slot); }
        }
    }

    public void Dispose()
    {
        foreach (var session in _sessions) session.Dispose();
    }
}
