namespace FastChat.Server.Transport;

/// <summary>
/// Work that should run "soon, after the current batch": on an epoll thread it waits until every
/// event of the current epoll_wait batch has been handled and then runs on that same thread, so
/// the frames many connections produced for one recipient leave in one flush and no thread-pool
/// hop is paid; anywhere else it goes to the thread pool.
/// </summary>
internal static class DeferredWork
{
    [ThreadStatic] private static Queue<IThreadPoolWorkItem>? t_deferred;

    public static void Schedule(IThreadPoolWorkItem work)
    {
        if (t_deferred is { } deferred) deferred.Enqueue(work);
        else ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
    }

    /// <summary>Called once by each epoll thread: from now on its scheduled work is deferred.</summary>
    public static void EnterLoopThread() => t_deferred = new Queue<IThreadPoolWorkItem>();

    /// <summary>Runs what the batch scheduled, including work scheduled while running it.</summary>
    public static void RunDeferred(Action<Exception> onError)
    {
        var deferred = t_deferred!;
        while (deferred.TryDequeue(out var work))
        {
            try { work.Execute(); }
            catch (Exception ex) { onError(ex); }
        }
    }
}
