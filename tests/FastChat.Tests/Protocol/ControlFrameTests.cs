using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Tests.Protocol;

/// <summary>MessagePack control bodies grow at the end: old and new readers and writers get along.</summary>
public class ControlFrameTests
{
    private static byte[] Body(IControlBody body) => ControlFrames.Encode(body)[ProtocolLimits.FrameHeaderLength..];

    [Fact]
    public void A_request_id_round_trips_and_is_absent_when_zero()
    {
        Assert.True(RegisterBody.TryParse(Body(new RegisterBody("12345678", 42)), out var register));
        Assert.Equal(new RegisterBody("12345678", 42), register);
        Assert.Equal(Convert.FromHexString("91C0"), Body(new RegisterBody(null))); // the v1 encoding, unchanged
        Assert.True(RegisterResultBody.TryParse(Body(new RegisterResultBody(RegisterStatus.BadCode, "no", 9)), out var result));
        Assert.Equal(9UL, result.RequestId);
    }

    [Fact]
    public void Unknown_trailing_fields_are_skipped_and_missing_ones_rejected()
    {
        Assert.True(RegisterBody.TryParse(Convert.FromHexString("93C005A3786978"), out var register)); // [nil, 5, "xix"]
        Assert.Equal(new RegisterBody(null, 5), register);
        Assert.False(RegisterResultBody.TryParse(Convert.FromHexString("9100"), out _)); // [0]: message missing
    }
}
