using System.Buffers;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Noise;

namespace FastChat.Protocol.Wire;

/// <summary>
/// Seals frames (whole frames back to back) into length-prefixed transport records, cut at frame
/// boundaries with as many frames per record as fit. The one implementation for the server, the
/// SDK, the harness and, next, peer links.
/// </summary>
public static class RecordWriter
{
    /// <summary>Length prefix plus tag: what each record adds to its plaintext.</summary>
    public const int RecordOverhead = RecordFraming.LengthPrefix + NoiseConstants.TagLength;

    /// <summary>
    /// An upper bound of the wire bytes for <paramref name="plaintextLength"/> bytes of frames.
    /// Any two neighbouring records together hold more than one record's plaintext (else the
    /// second's first frame would have gone into the first), so there are fewer than
    /// 2·length/max + 1 records.
    /// </summary>
    public static int MaxSealedLength(int plaintextLength) =>
        plaintextLength + (2 * plaintextLength / ProtocolLimits.MaxRecordPlaintext + 1) * RecordOverhead;

    /// <summary>Seals <paramref name="frames"/> into <paramref name="output"/>; returns the wire bytes written.</summary>
    public static int Seal(NoiseTransport transport, ReadOnlySpan<byte> frames, Span<byte> output)
    {
        int wire = 0;
        while (!frames.IsEmpty)
        {
            int recordLength = FrameHeader.RecordCut(frames);
            wire += SealOne(transport, frames[..recordLength], output[wire..]);
            frames = frames[recordLength..];
        }
        return wire;
    }

    /// <summary>
    /// Seals <paramref name="frames"/> into a buffer writer (a pipe): straight into its current
    /// block where the record fits, else through a pooled scratch buffer that the writer copies
    /// across blocks (rather than asking a pipe for one oversized segment). Returns the wire bytes.
    /// </summary>
    public static int Seal(NoiseTransport transport, ReadOnlySpan<byte> frames, IBufferWriter<byte> output)
    {
        int wire = 0;
        while (!frames.IsEmpty)
        {
            int recordLength = FrameHeader.RecordCut(frames);
            int needed = recordLength + RecordOverhead;
            var span = output.GetSpan();
            if (span.Length >= needed)
            {
                SealOne(transport, frames[..recordLength], span);
                output.Advance(needed);
            }
            else
            {
                var scratch = ArrayPool<byte>.Shared.Rent(needed);
                SealOne(transport, frames[..recordLength], scratch);
                output.Write(scratch.AsSpan(0, needed));
                ArrayPool<byte>.Shared.Return(scratch);
            }
            wire += needed;
            frames = frames[recordLength..];
        }
        return wire;
    }

    /// <summary>One record holding exactly <paramref name="plaintext"/> (which must fit in a record).</summary>
    public static int SealOne(NoiseTransport transport, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        int sealedLength = plaintext.Length + NoiseConstants.TagLength;
        RecordFraming.WriteLength(output, sealedLength);
        transport.Encrypt(plaintext, output[RecordFraming.LengthPrefix..]);
        return RecordFraming.LengthPrefix + sealedLength;
    }
}
