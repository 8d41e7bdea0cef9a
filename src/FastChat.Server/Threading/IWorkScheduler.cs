namespace FastChat.Server.Threading;

/// <summary>
/// Where a connection's "soon" work (its flush) runs. Passed in, so the connection layer knows
/// nothing of the transport's threads: the epoll transport runs it on the loop thread after the
/// current batch, anything else on the thread pool.
/// </summary>
internal interface IWorkScheduler
{
    void Schedule(IThreadPoolWorkItem work);
}

/// <summary>Kestrel's socket transport, benchmarks, tests: the thread pool.</summary>
internal sealed class ThreadPoolWorkScheduler : IWorkScheduler
{
    public static ThreadPoolWorkScheduler Instance { get; } = new();

    public void Schedule(IThreadPoolWorkItem work) => ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
}
