using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;
using FastChat.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace FastChat.Server.Presence;

/// <summary>Sends one entry through the node's router (set up by Hosting; Presence does not know the routers).</summary>
internal delegate void PresenceRoute(ReadOnlySpan<byte> to, DeliveryKind kind, ReadOnlySpan<byte> from, string fromName, ReadOnlySpan<byte> payload);

/// <summary>
/// Presence at a user's home (protocol-spec/15-presence.md): how many sessions each user has
/// here, who watches them (device addresses, wherever they are connected, each watch expiring
/// unless renewed), and the pushes. A change is not pushed at once: every coalescing window the
/// hub publishes what changed since the last one, so a flapping connection costs its watchers at
/// most one PRESENCE per window, and a flap inside one window none. Each push is filtered per
/// watcher by the user's visibility setting. Users with neither sessions nor watchers are forgotten.
/// </summary>
internal sealed class PresenceHub : IDisposable
{
    private readonly ConcurrentDictionary<string, Subject> _subjects = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Subject> _dirty = new();
    private readonly PresenceStore _store;
    private readonly PresenceOptions _options;
    private readonly TimeProvider _time;
    private readonly FastChatMetrics _metrics;
    private readonly PresenceRoute _route;
    private readonly ILogger _logger;
    private readonly ITimer _tick;
    private long _nextSweep;

    public PresenceHub(PresenceStore store, PresenceOptions options, TimeProvider time, FastChatMetrics metrics, PresenceRoute route, ILogger<PresenceHub> logger)
    {
        _store = store;
        _options = options;
        _time = time;
        _metrics = metrics;
        _route = route;
        _logger = logger;
        _nextSweep = time.GetTimestamp() + Ticks(options.SubscriptionLifetime / 4);
        _tick = time.CreateTimer(_ => Tick(), null, options.CoalesceWindow, options.CoalesceWindow);
    }

    /// <summary>Users the hub holds now (for tests and the admin view).</summary>
    public int SubjectCount => _subjects.Count;

    public void SessionStarted(string account)
    {
        var subject = Enter(account);
        try
        {
            subject.Sessions++;
            MarkDirty(subject);
        }
        finally { Monitor.Exit(subject); }
    }

    public void SessionEnded(string account)
    {
        var subject = Enter(account);
        try
        {
            if (--subject.Sessions > 0) return;
            subject.Sessions = 0;
            subject.LastSeenMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            _store.RecordLastSeen(subject.AccountBytes, subject.LastSeenMs);
            MarkDirty(subject);
        }
        finally { Monitor.Exit(subject); }
    }

    /// <summary>
    /// A device watches <paramref name="account"/>: it is told the current state at once, unless this
    /// is the renewal of a watch the hub still holds. An account that does not exist is answered
    /// hidden and not remembered (so watching names is no way to learn which exist).
    /// </summary>
    public void Watch(string account, bool exists, string watcher, bool renewal)
    {
        if (!exists)
        {
            SendTo(watcher, Encoding.ASCII.GetBytes(account), account, new PresenceBody(account, PresenceState.Hidden, 0).EncodeBody());
            return;
        }
        var subject = Enter(account);
        bool known;
        bool online;
        long lastSeen;
        try
        {
            known = subject.Watchers.ContainsKey(watcher);
            subject.Watchers[watcher] = _time.GetTimestamp() + Ticks(_options.SubscriptionLifetime);
            (online, lastSeen) = (subject.Sessions > 0, subject.LastSeenMs);
        }
        finally { Monitor.Exit(subject); }
        if (!known || !renewal) Push(subject, online, lastSeen, [watcher]);
    }

    public void Unwatch(string account, string watcher)
    {
        if (!_subjects.TryGetValue(account, out var subject)) return;
        lock (subject) subject.Watchers.Remove(watcher);
    }

    /// <summary>The user changed who may see them: their watchers are told again at the next window.</summary>
    public void SettingsChanged(string account)
    {
        if (!_subjects.TryGetValue(account, out var subject)) return;
        lock (subject)
        {
            subject.Republish = true;
            MarkDirty(subject);
        }
    }

    /// <summary>Publishes what changed; run by the timer every window (and by the benchmark directly).</summary>
    internal void Tick()
    {
        try
        {
            for (int n = _dirty.Count; n > 0 && _dirty.TryDequeue(out var subject); n--) Flush(subject);
            long now = _time.GetTimestamp();
            if (now < _nextSweep) return;
            _nextSweep = now + Ticks(_options.SubscriptionLifetime / 4);
            Sweep(now);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Presence publishing failed; it goes on at the next window.");
        }
    }

    private void Flush(Subject subject)
    {
        string[] watchers;
        int count;
        bool online;
        long lastSeen;
        lock (subject)
        {
            subject.Dirty = false;
            online = subject.Sessions > 0;
            lastSeen = subject.LastSeenMs;
            // A flap inside the window changes nothing but last seen: one push for that, none if nothing changed.
            if (online == subject.PublishedOnline && (online || lastSeen == subject.PublishedLastSeen) && !subject.Republish) return;
            subject.PublishedOnline = online;
            subject.PublishedLastSeen = lastSeen;
            subject.Republish = false;
            count = subject.Watchers.Count;
            watchers = ArrayPool<string>.Shared.Rent(Math.Max(1, count));
            subject.Watchers.Keys.CopyTo(watchers, 0);
        }
        try
        {
            Push(subject, online, lastSeen, watchers.AsSpan(0, count));
        }
        finally
        {
            Array.Clear(watchers, 0, count);
            ArrayPool<string>.Shared.Return(watchers);
        }
    }

    /// <summary>One PRESENCE body for those who may see the user and one (hidden) for the rest, routed to each watcher.</summary>
    private void Push(Subject subject, bool online, long lastSeen, ReadOnlySpan<string> watchers)
    {
        if (watchers.IsEmpty) return;
        var record = _store.Read(subject.AccountBytes);
        var visibility = _store.VisibilityOf(record);
        var shown = new PresenceBody(subject.Account, online ? PresenceState.Online : PresenceState.Offline, online ? 0 : lastSeen).EncodeBody();
        byte[]? hidden = null;
        var contacts = visibility == PresenceVisibility.Contacts ? new HashSet<string>(record.Contacts, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>() : default;
        foreach (var watcher in watchers)
        {
            var watcherAccount = watcher.AsSpan(0, watcher.IndexOf('/') is >= 0 and var slash ? slash : watcher.Length);
            bool sees = watcherAccount.SequenceEqual(subject.Account) || visibility switch
            {
                PresenceVisibility.Everyone => true,
                PresenceVisibility.Contacts => contacts.Contains(watcherAccount),
                _ => false,
            };
            SendTo(watcher, subject.AccountBytes, subject.Account, sees ? shown : hidden ??= new PresenceBody(subject.Account, PresenceState.Hidden, 0).EncodeBody());
        }
    }

    private void SendTo(string watcher, ReadOnlySpan<byte> from, string fromName, ReadOnlySpan<byte> body)
    {
        Span<byte> to = stackalloc byte[DeviceAddress.MaxLength];
        int n = Encoding.ASCII.GetBytes(watcher, to);
        _route(to[..n], DeliveryKind.PresenceUpdate, from, fromName, body);
        _metrics.PresencePushed();
    }

    /// <summary>Drops expired watches and forgets users who have neither sessions nor watchers.</summary>
    private void Sweep(long now)
    {
        List<string>? expired = null;
        foreach (var (account, subject) in _subjects)
        {
            lock (subject)
            {
                foreach (var (watcher, expires) in subject.Watchers)
                    if (expires <= now) (expired ??= []).Add(watcher);
                if (expired is not null)
                {
                    foreach (var watcher in expired) subject.Watchers.Remove(watcher);
                    expired.Clear();
                }
                if (subject.Watchers.Count > 0 || subject.Sessions > 0 || subject.Dirty) continue;
                subject.Removed = true;
                _subjects.TryRemove(new KeyValuePair<string, Subject>(account, subject));
            }
        }
    }

    private void MarkDirty(Subject subject)
    {
        if (subject.Dirty) return;
        subject.Dirty = true;
        _dirty.Enqueue(subject);
    }

    /// <summary>The user's entry, locked (created on first use; a swept one is replaced).</summary>
    private Subject Enter(string account)
    {
        while (true)
        {
            var subject = _subjects.GetOrAdd(account, static (name, store) => new Subject(name, store), _store);
            Monitor.Enter(subject);
            if (!subject.Removed) return subject;
            Monitor.Exit(subject);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    public void Dispose() => _tick.Dispose();

    /// <summary>One user's presence here; every field is guarded by locking the object.</summary>
    private sealed class Subject
    {
        public Subject(string account, PresenceStore store)
        {
            Account = account;
            AccountBytes = Encoding.ASCII.GetBytes(account);
            LastSeenMs = PublishedLastSeen = store.Read(AccountBytes).LastSeenMs;
        }

        public string Account { get; }
        public byte[] AccountBytes { get; }
        public Dictionary<string, long> Watchers { get; } = new(StringComparer.Ordinal);
        public int Sessions;
        public bool PublishedOnline;
        public long PublishedLastSeen;
        public long LastSeenMs;
        public bool Dirty;
        public bool Republish;
        public bool Removed;
    }
}
