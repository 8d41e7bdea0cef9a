using System.Diagnostics.Metrics;
using FastChat.Server.Telemetry;

namespace FastChat.Server.Cluster.Replication;

/// <summary>Replication instruments on the FastChat.Server meter: what was streamed, synced, applied, and how far replicas lag.</summary>
internal sealed class ReplicationMetrics
{
    private readonly Counter<long> _framesSent;
    private readonly Counter<long> _bytesSent;
    private readonly Counter<long> _snapshotRecords;
    private readonly Counter<long> _recordsApplied;
    private readonly Counter<long> _snapshotBytes;
    private readonly Histogram<double> _syncSeconds;
    private readonly Meter _meter;

    public ReplicationMetrics(FastChatMetrics metrics)
    {
        var meter = _meter = metrics.Meter;
        _framesSent = meter.CreateCounter<long>("fastchat.replication.frames_sent", description: "REPLICATE frames sent to replicas (resends included)");
        _bytesSent = meter.CreateCounter<long>("fastchat.replication.bytes_sent", "By");
        _snapshotRecords = meter.CreateCounter<long>("fastchat.replication.snapshot_records", description: "Records copied to sync partitions a replica did not have, counted once it acknowledged them");
        _recordsApplied = meter.CreateCounter<long>("fastchat.replication.records_applied", description: "Records applied as a replica");
        _snapshotBytes = meter.CreateCounter<long>("fastchat.replication.snapshot_bytes", "By", "Key and value bytes of the snapshot records, counted once the replica acknowledged them");
        _syncSeconds = meter.CreateHistogram<double>("fastchat.replication.sync.duration", "s", "From a sync round's start to the replica's acknowledgement of its snapshot");
    }

    /// <summary>Per replica: records written but not yet acknowledged durable, and bytes held for resending.</summary>
    public void Observe(Func<IEnumerable<ReplicaStream>> streams)
    {
        _meter.CreateObservableGauge("fastchat.replication.lag_records", () => streams().Select(s =>
            new Measurement<long>((long)(s.LastSeq - s.Acked), new KeyValuePair<string, object?>("replica", s.Node))));
        _meter.CreateObservableGauge("fastchat.replication.unacked_bytes", () => streams().Select(s =>
            new Measurement<long>(s.UnackedBytes, new KeyValuePair<string, object?>("replica", s.Node))), "By");
    }

    public void Sent(int frames, long bytes)
    {
        if (frames == 0) return;
        _framesSent.Add(frames);
        _bytesSent.Add(bytes);
    }

    public void Synced(long records, long bytes, TimeSpan elapsed)
    {
        _snapshotRecords.Add(records);
        _snapshotBytes.Add(bytes);
        _syncSeconds.Record(elapsed.TotalSeconds);
    }

    public void Applied(long records) => _recordsApplied.Add(records);
}
