using FastChat.Server.Threading;

namespace FastChat.Server.Transport;

/// <summary>
/// The epoll transport's scheduler: work scheduled on a loop thread waits for the end of that
/// loop's batch and runs there (the frames many connections produced for one recipient then
/// leave in one flush, with no thread-pool hop); from any other thread it goes to the thread pool.
/// </summary>
internal sealed class EpollWorkScheduler : IWorkScheduler
{
    public void Schedule(IThreadPoolWorkItem work) => DeferredWork.Schedule(work);
}
