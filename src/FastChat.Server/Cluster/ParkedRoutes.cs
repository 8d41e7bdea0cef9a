using FastChat.Protocol.Frames;
using FastChat.Server.Routing;

namespace FastChat.Server.Cluster;

/// <summary>
/// Entries held back while their recipient's partition moves, or after its home refused them
/// under another epoch: kept in arrival order per partition, and while a partition holds any,
/// new entries for it queue behind them (order per sender→recipient survives the move). Released
/// in order when a view lets them go; bounded in count and in time (then refused as unavailable).
/// All state under one lock; the hot path only reads <see cref="Count"/> while nothing is held.
/// </summary>
internal sealed class ParkedRoutes(int capacity, TimeSpan patience, TimeProvider time)
{
    internal sealed class Entry
    {
        public required byte[] Recipient { get; init; }
        public required DeliveryKind Kind { get; init; }
        public required ulong MessageId { get; init; }
        public required byte[] From { get; init; }
        public required string FromName { get; init; }
        public required byte[] Payload { get; init; }
        public required IRouteCompletion? Completion { get; init; }
        public required ulong Token { get; init; }
        public required int Partition { get; init; }
        public required long DeadlineMs { get; init; }

        public RouteRequest Request => new(Recipient, Kind, MessageId, From, FromName, Payload);
    }

    private readonly Dictionary<int, LinkedList<Entry>> _byPartition = new();
    private int _count;
    private long _handBacks;

    private object Gate => _byPartition;

    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Changes when a link starts or finishes handing entries back to the parking. A route reads it
    /// before it looks at <see cref="Holds"/>, and a link forwards only while it is unchanged: an
    /// entry whose check came before the hand-back parked its partition's earlier entries cannot
    /// then overtake them on the link.
    /// </summary>
    public long HandBackVersion => Volatile.Read(ref _handBacks);

    public void BeginHandBack() => Interlocked.Increment(ref _handBacks);

    public void EndHandBack() => Interlocked.Increment(ref _handBacks);

    public bool Holds(int partition)
    {
        if (Volatile.Read(ref _count) == 0) return false;
        lock (Gate) return _byPartition.ContainsKey(partition);
    }

    public Entry Capture(in RouteRequest request, int partition, IRouteCompletion? completion, ulong token) => new()
    {
        Recipient = request.Recipient.ToArray(), Kind = request.Kind, MessageId = request.MessageId, From = request.From.ToArray(),
        FromName = request.FromName, Payload = request.Payload.ToArray(), Completion = completion, Token = token, Partition = partition,
        DeadlineMs = time.GetUtcNow().ToUnixTimeMilliseconds() + (long)patience.TotalMilliseconds,
    };

    /// <summary>Holds a new entry behind the partition's others: Pending (or Queued when nobody waits), Unavailable when full.</summary>
    public RouteResult Park(in RouteRequest request, int partition, IRouteCompletion? completion, ulong token)
    {
        lock (Gate)
        {
            if (_count >= capacity) return RouteResult.Unavailable;
            Queue(partition).AddLast(Capture(request, partition, completion, token));
            _count++;
        }
        return completion is null ? RouteResult.Queued : RouteResult.Pending;
    }

    /// <summary>
    /// Holds entries a peer refused (in their original order) ahead of everything parked for their
    /// partitions since: they were sent before any of those. Never refused for capacity: they were accepted once.
    /// </summary>
    public void ReturnToFront(IReadOnlyList<Entry> entries)
    {
        lock (Gate)
        {
            for (int i = entries.Count - 1; i >= 0; i--) Queue(entries[i].Partition).AddFirst(entries[i]);
            _count += entries.Count;
        }
    }

    /// <summary>
    /// Offers each partition's entries in order to <paramref name="route"/>; a partition stops at its
    /// first entry that must wait again (<see cref="RouteResult.NotOwned"/>, Unavailable or Retry) unless
    /// that entry's patience is over. Returns the entries that are finished with their results, to be
    /// completed by the caller outside this lock.
    /// </summary>
    public List<(Entry Entry, RouteResult Result)> Release(Func<Entry, RouteResult> route)
    {
        var finished = new List<(Entry, RouteResult)>();
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (Gate)
        {
            foreach (var (partition, queue) in _byPartition.ToArray())
            {
                while (queue.First is { } node)
                {
                    var entry = node.Value;
                    var result = route(entry);
                    if (result is RouteResult.NotOwned or RouteResult.Unavailable or RouteResult.Retry)
                    {
                        if (entry.DeadlineMs > now) break;
                        result = RouteResult.Unavailable;
                    }
                    queue.RemoveFirst();
                    _count--;
                    finished.Add((entry, result));
                }
                if (queue.Count == 0) _byPartition.Remove(partition);
            }
        }
        return finished;
    }

    private LinkedList<Entry> Queue(int partition)
    {
        if (!_byPartition.TryGetValue(partition, out var queue)) _byPartition[partition] = queue = new LinkedList<Entry>();
        return queue;
    }
}
