using System.Buffers;
using System.Collections.Concurrent;

namespace FastChat.Benchmarks;

/// <summary>
/// Stands in for Kestrel's pinned block pool under the benchmark's pipes: fixed 4 KiB blocks,
/// owners reused, so the pipes themselves allocate nothing in steady state.
/// (MemoryPool&lt;byte&gt;.Shared allocates an owner object per rent.)
/// </summary>
internal sealed class PooledMemoryPool : MemoryPool<byte>
{
    private const int BlockSize = 4096;
    private readonly ConcurrentQueue<Block> _blocks = new();

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize) throw new ArgumentOutOfRangeException(nameof(minBufferSize));
        return _blocks.TryDequeue(out var block) ? block : new Block(this);
    }

    protected override void Dispose(bool disposing) { }

    private sealed class Block(PooledMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateArray<byte>(BlockSize, pinned: true);
        public Memory<byte> Memory => _array;
        public void Dispose() => pool._blocks.Enqueue(this);
    }
}
