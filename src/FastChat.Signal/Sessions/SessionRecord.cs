namespace FastChat.Signal.Sessions;

/// <summary>
/// Every session with one remote device: the current one and up to <see cref="MaxPreviousSessions"/>
/// earlier ones (a message in flight may still be under one of them). A new session — a prekey
/// message from the remote, or ours from its bundle — moves the current one to the previous.
/// </summary>
public sealed class SessionRecord
{
    public const int MaxPreviousSessions = 40;

    internal SessionState? Current { get; private set; }
    internal List<SessionState> Previous { get; } = new(); // newest first

    public bool HasCurrentSession => Current is not null;

    /// <summary>The record as bytes to keep at rest (it holds private keys).</summary>
    public byte[] Serialize() => SessionRecordStorage.Serialize(this);

    /// <summary>A record from <see cref="Serialize"/>'s bytes; <see cref="SignalProtocolException"/> when they are not one.</summary>
    public static SessionRecord Deserialize(ReadOnlySpan<byte> bytes) => SessionRecordStorage.Deserialize(bytes);

    internal static SessionRecord Restore(SessionState? current, IEnumerable<SessionState> previous)
    {
        var record = new SessionRecord { Current = current };
        record.Previous.AddRange(previous.Take(MaxPreviousSessions));
        return record;
    }

    internal void Promote(SessionState state)
    {
        if (Current is not null) Previous.Insert(0, Current);
        Current = state;
        if (Previous.Count > MaxPreviousSessions) Previous.RemoveRange(MaxPreviousSessions, Previous.Count - MaxPreviousSessions);
    }

    /// <summary>Makes a previous session (one that just decrypted a message) the state it is now.</summary>
    internal void Replace(SessionState old, SessionState updated)
    {
        if (ReferenceEquals(Current, old)) { Current = updated; return; }
        int i = Previous.IndexOf(old);
        if (i >= 0) Previous[i] = updated;
    }

    internal IEnumerable<SessionState> All() => Current is null ? Previous : Previous.Prepend(Current);

    internal SessionState? WithBaseKey(Curve.SignalPublicKey baseKey) => All().FirstOrDefault(s => s.BaseKey == baseKey);
}
