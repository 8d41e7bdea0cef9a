namespace FastChat.Server.Transport;

/// <summary>
/// The state of one read or flush that waits for the socket, shared by <see cref="SocketReader"/>
/// and <see cref="SocketWriter"/>. Readiness, cancellation and failure can race to complete it;
/// whoever <see cref="TryClaim"/>s it completes it, exactly once. A cancel that finds nothing
/// parked is kept for the next operation.
/// </summary>
internal struct ParkedOperation
{
    private int _parked;
    private int _cancelRequested;

    public bool IsParked => Volatile.Read(ref _parked) == 1;
    public bool CancelRequested => Volatile.Read(ref _cancelRequested) == 1;

    /// <summary>The operation now waits; set before arming the socket.</summary>
    public void Park() => Volatile.Write(ref _parked, 1);

    /// <summary>True for exactly one caller per <see cref="Park"/>.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _parked, 0) == 1;

    /// <summary>Records a cancel; true if an operation is parked and should be completed (cancelled) soon.</summary>
    public bool RequestCancel()
    {
        Volatile.Write(ref _cancelRequested, 1);
        return IsParked;
    }

    /// <summary>Consumes a recorded cancel (the operation about to start, or being completed, reports it).</summary>
    public bool TakeCancel() => Interlocked.Exchange(ref _cancelRequested, 0) == 1;

    /// <summary>Claims the parked operation to complete it as cancelled.</summary>
    public bool TryClaimForCancel()
    {
        if (!TryClaim()) return false;
        Volatile.Write(ref _cancelRequested, 0);
        return true;
    }
}
