using Microsoft.Extensions.Logging;

namespace FastChat.Server.Transport;

/// <summary>Something registered with the engine: told which events fired (on the engine's thread; must not block).</summary>
internal interface IEpollTarget
{
    void OnEvents(uint events);
}

/// <summary>
/// One epoll instance and the thread that waits on it: an event loop. Registrations are
/// one-shot: a target arms the events it waits for and the engine hands it what fired; reads
/// and their processing run right here, and the flushes they cause run after the batch
/// (<see cref="EventLoop"/>), so a busy loop pays no thread hop per record. Event data carries a slot and a generation, so an event already
/// returned for a closed descriptor never reaches the next owner of its slot.
/// </summary>
internal sealed unsafe class EpollEventLoop : IDisposable
{
    private const int MaxEventsPerWait = 512;

    private readonly int _epoll;
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private readonly Lock _slotsLock = new();
    private IEpollTarget?[] _targets = new IEpollTarget?[1024];
    private uint[] _generations = new uint[1024];
    private readonly Stack<int> _freeSlots = new();
    private int _nextSlot;
    private volatile bool _stopping;

    public EpollEventLoop(ILogger logger, int index = 0)
    {
        _logger = logger;
        _epoll = LinuxNative.epoll_create1(LinuxNative.EPOLL_CLOEXEC);
        if (_epoll < 0) throw new IOException($"epoll_create1 failed: errno {LinuxNative.Errno}");
        _thread = new Thread(Run) { IsBackground = true, Name = $"FastChat epoll {index}" };
        _thread.Start();
    }

    /// <summary>A slot for a new target; returns the key its events carry.</summary>
    public ulong Register(IEpollTarget target)
    {
        lock (_slotsLock)
        {
            int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _nextSlot++;
            if (slot >= _targets.Length)
            {
                Array.Resize(ref _targets, _targets.Length * 2);
                Array.Resize(ref _generations, _generations.Length * 2);
            }
            _generations[slot]++;
            Volatile.Write(ref _targets[slot], target);
            return (ulong)_generations[slot] << 32 | (uint)slot;
        }
    }

    /// <summary>Forgets a target; events still in flight for it are dropped.</summary>
    public void Unregister(ulong key)
    {
        int slot = (int)(uint)key;
        lock (_slotsLock)
        {
            if (_generations[slot] != (uint)(key >> 32)) return;
            Volatile.Write(ref _targets[slot], null);
            _generations[slot]++;
            _freeSlots.Push(slot);
        }
    }

    /// <summary>Adds or re-arms a descriptor for one firing of <paramref name="events"/>. False if the descriptor is gone.</summary>
    public bool Arm(int fd, ulong key, uint events, bool add)
    {
        int result;
        if (LinuxNative.PackedEpollEvent)
        {
            var ev = new LinuxNative.EpollEventPacked { Events = events | LinuxNative.EPOLLONESHOT, Data = key };
            result = LinuxNative.epoll_ctl(_epoll, add ? LinuxNative.EPOLL_CTL_ADD : LinuxNative.EPOLL_CTL_MOD, fd, &ev);
        }
        else
        {
            var ev = new LinuxNative.EpollEventAligned { Events = events | LinuxNative.EPOLLONESHOT, Data = key };
            result = LinuxNative.epoll_ctl(_epoll, add ? LinuxNative.EPOLL_CTL_ADD : LinuxNative.EPOLL_CTL_MOD, fd, &ev);
        }
        return result == 0;
    }

    private void Run()
    {
        int size = LinuxNative.PackedEpollEvent ? sizeof(LinuxNative.EpollEventPacked) : sizeof(LinuxNative.EpollEventAligned);
        var buffer = new byte[MaxEventsPerWait * size];
        DeferredWork.EnterLoopThread();
        fixed (byte* events = buffer)
        {
            while (!_stopping)
            {
                int count = LinuxNative.epoll_wait(_epoll, events, MaxEventsPerWait, 500);
                if (count < 0)
                {
                    int errno = LinuxNative.Errno;
                    if (errno == LinuxNative.EINTR) continue;
                    _logger.LogCritical("epoll_wait failed: errno {Errno}; the transport stops.", errno);
                    return;
                }
                for (int i = 0; i < count; i++)
                {
                    uint fired;
                    ulong key;
                    if (LinuxNative.PackedEpollEvent)
                    {
                        var e = ((LinuxNative.EpollEventPacked*)events)[i];
                        (fired, key) = (e.Events, e.Data);
                    }
                    else
                    {
                        var e = ((LinuxNative.EpollEventAligned*)events)[i];
                        (fired, key) = (e.Events, e.Data);
                    }
                    Dispatch(fired, key);
                }
                DeferredWork.RunDeferred(ex => _logger.LogError(ex, "deferred work failed"));
            }
        }
    }

    private void Dispatch(uint fired, ulong key)
    {
        int slot = (int)(uint)key;
        IEpollTarget? target;
        lock (_slotsLock)
        {
            if (slot >= _targets.Length || _generations[slot] != (uint)(key >> 32)) return;
            target = _targets[slot];
        }
        try { target?.OnEvents(fired); }
        catch (Exception ex) { _logger.LogError(ex, "epoll target failed"); }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(2));
        LinuxNative.close(_epoll);
    }
}
