namespace FastChat.Client;

/// <summary>
/// Control requests waiting for their answer, by request id. Not resent after a reconnect (the
/// caller decides whether to ask again): a lost connection fails them all.
/// </summary>
internal sealed class ControlRequests
{
    private readonly Dictionary<ulong, TaskCompletionSource<object>> _waiting = new();
    private ulong _lastId;

    public (ulong Id, Task<object> Answer) Start()
    {
        var tcs = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiting)
        {
            ulong id = ++_lastId;
            _waiting[id] = tcs;
            return (id, tcs.Task);
        }
    }

    /// <summary>Completes request <paramref name="id"/>; false when nothing waits for it.</summary>
    public bool Complete(ulong id, object answer)
    {
        TaskCompletionSource<object>? tcs;
        lock (_waiting) _waiting.Remove(id, out tcs);
        return tcs?.TrySetResult(answer) ?? false;
    }

    public void Forget(ulong id)
    {
        lock (_waiting) _waiting.Remove(id);
    }

    public void FailAll(Exception error)
    {
        TaskCompletionSource<object>[] all;
        lock (_waiting)
        {
            all = [.. _waiting.Values];
            _waiting.Clear();
        }
        foreach (var tcs in all) tcs.TrySetException(error);
    }
}
