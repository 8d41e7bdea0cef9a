using System.Text.Json;
using FastChat.Client;
using FastChat.Protocol.Crypto;

namespace FastChat.Cli;

/// <summary>
/// One user's client state in a directory: identity.key (the device's X25519 private key, 0600)
/// and profile.json (name, server, pinned server key, message id and dedupe marks).
/// </summary>
public sealed class Profile : IClientStateStore
{
    private readonly string _directory;
    private ProfileData _data;

    private Profile(string directory, ProfileData data)
    {
        _directory = directory;
        _data = data;
    }

    public string Directory => _directory;
    public string? UserName { get => _data.UserName; set => _data.UserName = value; }
    public string Server { get => _data.Server ?? "127.0.0.1:5222"; set => _data.Server = value; }
    public string? ServerKey { get => _data.ServerKey; set => _data.ServerKey = value; }

    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("FASTCHAT_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fastchat");

    public static Profile Open(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "profile.json");
        var data = File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), ProfileJson.Default.ProfileData) ?? new() : new ProfileData();
        return new Profile(directory, data);
    }

    /// <summary>The device key, created on first use.</summary>
    public byte[] LoadOrCreateKey()
    {
        var path = Path.Combine(_directory, "identity.key");
        if (File.Exists(path)) return File.ReadAllBytes(path);
        var key = new byte[32];
        Sodium.RandomBytes(key);
        File.WriteAllBytes(path, key);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }

    public ulong LastMessageId { get => _data.LastMessageId; set => _data.LastMessageId = value; }

    public ulong GetLastSeen(string peer) => _data.LastSeen.TryGetValue(peer, out var id) ? id : 0;

    public void SetLastSeen(string peer, ulong messageId) => _data.LastSeen[peer] = messageId;

    public void Save()
    {
        lock (this)
        {
            var path = Path.Combine(_directory, "profile.json");
            File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(_data, ProfileJson.Default.ProfileData));
            File.Move(path + ".tmp", path, overwrite: true);
        }
    }
}

public sealed class ProfileData
{
    public string? UserName { get; set; }
    public string? Server { get; set; }
    public string? ServerKey { get; set; }
    public ulong LastMessageId { get; set; }
    public Dictionary<string, ulong> LastSeen { get; set; } = new();
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ProfileData))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class ProfileJson : System.Text.Json.Serialization.JsonSerializerContext;
