namespace FastChat.Soak;

/// <summary>Shard <c>i/n</c> of a split run: which share of every count this process drives.</summary>
internal readonly record struct ShardSpec(int Index, int Count)
{
    public static ShardSpec Whole => new(0, 1);

    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        var spec = new ShardSpec(int.Parse(parts[0]), int.Parse(parts[1]));
        if (spec.Count < 1 || spec.Index < 0 || spec.Index >= spec.Count) throw new ArgumentException($"--shard {text}: want i/n with 0 <= i < n");
        return spec;
    }

    /// <summary>This shard's part of <paramref name="total"/>; the parts of all shards add up to it.</summary>
    public int Share(int total) => total / Count + (Index < total % Count ? 1 : 0);

    /// <summary>Names unique to the shard, so shards never log in as each other's users.</summary>
    public string UserPrefix(string prefix) => Count == 1 ? prefix : $"{prefix}s{Index}-";

    public override string ToString() => $"{Index}/{Count}";
}
