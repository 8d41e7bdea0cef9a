using System.Diagnostics.Metrics;
using FastChat.Server.Telemetry;

namespace FastChat.Server.Cluster.Handoff;

/// <summary>Hand-off counters on the FastChat.Server meter: what moved, and how many copies completed.</summary>
internal sealed class HandoffMetrics(FastChatMetrics metrics)
{
    private readonly Counter<long> _recordsSent = metrics.Meter.CreateCounter<long>("fastchat.handoff.records_sent", description: "Store records copied to new owners");
    private readonly Counter<long> _bytesSent = metrics.Meter.CreateCounter<long>("fastchat.handoff.bytes_sent", "By");
    private readonly Counter<long> _recordsReceived = metrics.Meter.CreateCounter<long>("fastchat.handoff.records_received", description: "Store records received as a new owner");
    private readonly Counter<long> _completed = metrics.Meter.CreateCounter<long>("fastchat.handoff.completed", description: "Copies confirmed durable by their new owner");
    private readonly Histogram<double> _seconds = metrics.Meter.CreateHistogram<double>("fastchat.handoff.duration", "s", "From freeze to the last confirmed copy");

    public void Sent(ulong records, long bytes)
    {
        _recordsSent.Add((long)records);
        _bytesSent.Add(bytes);
        _completed.Add(1);
    }

    public void Received(ulong records) => _recordsReceived.Add((long)records);

    public void HandedOff(TimeSpan took) => _seconds.Record(took.TotalSeconds);
}
