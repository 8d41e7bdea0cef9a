using System.Threading.Tasks.Sources;

namespace FastChat.Soak;

/// <summary>
/// A reusable, allocation-free "something changed" signal for one waiter: Set wakes the
/// pending wait (or makes the next wait return at once).
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state; // 0 idle, 1 waiting, 2 set while not waiting

    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, 0, 2) == 2) return ValueTask.CompletedTask;
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 2)
        {
            Volatile.Write(ref _state, 0);
            return ValueTask.CompletedTask;
        }
        return new ValueTask(this, _core.Version);
    }

    public void Set()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == 2) return;
            if (state == 1)
            {
                if (Interlocked.CompareExchange(ref _state, 0, 1) == 1) { _core.SetResult(true); return; }
                continue;
            }
            if (Interlocked.CompareExchange(ref _state, 2, 0) == 0) return;
        }
    }

    public void GetResult(short token) => _core.GetResult(token);
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
