using FastChat.Server.Storage;
using FastChat.Tests.Infrastructure;

namespace FastChat.Tests.Unit;

public class KvIndexTests
{
    [Fact]
    public void Far_more_keys_than_buckets_chain_into_overflow_buckets_and_stay_correct()
    {
        using var directory = new TempDirectory();
        using var index = new KvIndex(directory.Path, 16, buckets: 1024); // 8,192 keys fit without chaining
        const int keys = 40_000;
        Span<byte> value = stackalloc byte[8];
        for (int i = 0; i < keys; i++) index.Upsert(BitConverter.GetBytes(i), BitConverter.GetBytes((long)i * 3));
        for (int i = 0; i < keys; i += 2) index.Delete(BitConverter.GetBytes(i));
        for (int i = 0; i < keys; i++)
        {
            int n = index.Read(BitConverter.GetBytes(i), value);
            if (i % 2 == 0) Assert.Equal(-1, n);
            else Assert.Equal((long)i * 3, BitConverter.ToInt64(value[..n]));
        }
    }
}
