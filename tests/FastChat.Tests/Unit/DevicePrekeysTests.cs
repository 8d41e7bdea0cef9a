using FastChat.Protocol.Frames;
using FastChat.Server.Prekeys;

namespace FastChat.Tests.Unit;

public class DevicePrekeysTests
{
    private static byte[] Key(byte fill) => [0x05, .. Enumerable.Repeat(fill, 32)];

    [Fact]
    public void A_record_reads_back_as_written_and_a_damaged_one_is_refused()
    {
        var record = new DevicePrekeys
        {
            RegistrationId = 4321,
            IdentityKey = Key(1),
            SignedPrekey = new SignedPrekey(9, Key(2), Enumerable.Repeat((byte)3, 64).ToArray()),
            SignedPrekeyUploadedMs = 1_700_000_000_000,
            HandoutWindowStartMs = 1_700_000_360_000,
            HandoutsInWindow = 17,
        };
        record.Stock.AddRange([new OneTimePrekey(100, Key(4)), new OneTimePrekey(101, Key(5))]);
        var value = record.Encode();

        var read = DevicePrekeys.Decode(value)!;
        Assert.Equal((4321u, 9u, 1_700_000_000_000L, 1_700_000_360_000L, 17), (read.RegistrationId, read.SignedPrekey.Id, read.SignedPrekeyUploadedMs, read.HandoutWindowStartMs, read.HandoutsInWindow));
        Assert.Equal(record.IdentityKey, read.IdentityKey);
        Assert.Equal(record.SignedPrekey.Signature, read.SignedPrekey.Signature);
        Assert.Equal([100u, 101u], read.Stock.Select(k => k.Id));
        Assert.Equal(Key(5), read.Stock[1].PublicKey);
        Assert.Null(DevicePrekeys.Decode(value.AsSpan(0, value.Length - 1)));
        value[0] = 2;
        Assert.Null(DevicePrekeys.Decode(value));
    }
}
