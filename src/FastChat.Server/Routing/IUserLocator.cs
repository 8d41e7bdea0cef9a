namespace FastChat.Server.Routing;

/// <summary>Where a user is homed: here, or on another node (its client address, when that node is live).</summary>
internal readonly record struct UserLocation(bool IsLocal, string? HomeEndpoint = null, byte[]? HomeKey = null, long Epoch = 0)
{
    public static UserLocation Local { get; } = new(true);
}

/// <summary>The one question routing asks about another user. The peer mesh replaces the implementation.</summary>
internal interface IUserLocator
{
    UserLocation Locate(ReadOnlySpan<byte> user);
}

/// <summary>A fleet of one: every user lives here.</summary>
internal sealed class SingleServerLocator : IUserLocator
{
    public UserLocation Locate(ReadOnlySpan<byte> user) => UserLocation.Local;
}
