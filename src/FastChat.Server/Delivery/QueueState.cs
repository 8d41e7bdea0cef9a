using System.Buffers;
using FastChat.Protocol.Frames;

namespace FastChat.Server.Delivery;

/// <summary>What the server remembers of one DELIVER frame in flight, to send its receipt on ack.</summary>
internal struct InFlightEntry
{
    public ulong MessageId;
    public string? Peer;
    /// <summary>The group of a group message (its ✓✓ is counted per member and group); null otherwise.</summary>
    public byte[]? Group;
    public int Bytes;
    public DeliveryKind Kind;
    /// <summary>Not sent (expired or missing); cleared when the client acks past it.</summary>
    public bool Skipped;
}

/// <summary>
/// A connected user's queue cursor: [Head, NextToSend) is in flight, [NextToSend, Tail) waits in
/// the store. The in-flight ring is rented only while something is in flight, so an idle
/// connection holds no array.
/// </summary>
internal sealed class QueueState(ulong head, ulong tail)
{
    public ulong Head = head;
    public ulong Tail = tail;
    public ulong NextToSend = head;
    public int InFlightBytes;

    private InFlightEntry[]? _ring;
    private int _start;
    private int _count;

    public int InFlightCount => _count;

    public void Push(in InFlightEntry entry)
    {
        if (_ring is null || _count == _ring.Length) Grow();
        _ring![(_start + _count) % _ring.Length] = entry;
        _count++;
        InFlightBytes += entry.Bytes;
    }

    public ref InFlightEntry Front => ref _ring![_start];

    public InFlightEntry PopFront()
    {
        if (_count == 0) throw new InvalidOperationException("Nothing in flight.");
        var entry = _ring![_start];
        _ring[_start] = default;
        _start = (_start + 1) % _ring.Length;
        _count--;
        InFlightBytes -= entry.Bytes;
        if (_count == 0) Release();
        return entry;
    }

    public void Release()
    {
        if (_ring is not null) ArrayPool<InFlightEntry>.Shared.Return(_ring, clearArray: true);
        _ring = null;
        _start = 0;
        _count = 0;
        InFlightBytes = 0;
    }

    private void Grow()
    {
        var next = ArrayPool<InFlightEntry>.Shared.Rent(Math.Max(16, (_ring?.Length ?? 0) * 2));
        for (int i = 0; i < _count; i++) next[i] = _ring![(_start + i) % _ring.Length];
        if (_ring is not null) ArrayPool<InFlightEntry>.Shared.Return(_ring, clearArray: true);
        _ring = next;
        _start = 0;
    }
}
