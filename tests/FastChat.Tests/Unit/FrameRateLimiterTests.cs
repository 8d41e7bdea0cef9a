using FastChat.Server.Connections;

namespace FastChat.Tests.Unit;

public class FrameRateLimiterTests
{
    [Fact]
    public void The_burst_is_spent_then_time_earns_tokens_at_the_rate_up_to_the_burst()
    {
        var limiter = new FrameRateLimiter(nowTicks: 1000, burst: 10);
        for (int i = 0; i < 10; i++) Assert.True(limiter.TryTake());
        Assert.False(limiter.TryTake());

        var refilled = new FrameRateLimiter(nowTicks: 1000, burst: 10);
        for (int i = 0; i < 10; i++) refilled.TryTake();
        refilled.Refill(nowTicks: 1100, perSecond: 50, burst: 10); // 100 ms at 50/s: 5 tokens
        for (int i = 0; i < 5; i++) Assert.True(refilled.TryTake());
        Assert.False(refilled.TryTake());

        var capped = new FrameRateLimiter(nowTicks: 0, burst: 10);
        capped.Refill(nowTicks: 60_000, perSecond: 1000, burst: 10); // a quiet minute earns the burst, no more
        for (int i = 0; i < 10; i++) Assert.True(capped.TryTake());
        Assert.False(capped.TryTake());
    }

    [Fact]
    public void A_clock_that_does_not_move_earns_nothing()
    {
        var limiter = new FrameRateLimiter(nowTicks: 500, burst: 1);
        Assert.True(limiter.TryTake());
        limiter.Refill(nowTicks: 500, perSecond: 1_000_000, burst: 1);
        limiter.Refill(nowTicks: 400, perSecond: 1_000_000, burst: 1); // never backwards
        Assert.False(limiter.TryTake());
    }
}
