using System.Text.Json;
using FastChat.Client.Storage;

namespace FastChat.Cli;

/// <summary>
/// One user's client state in a directory: device.db (the device store: keys, sessions, dedupe
/// marks; secrets sealed under device.key, 0600, or under $FASTCHAT_PASSPHRASE when set) and
/// profile.json (name, server, pinned server key).
/// </summary>
public sealed class Profile
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

    /// <summary>Groups this profile knows by name (created here, or seen in a group announcement).</summary>
    public void RememberGroup(string name, byte[] groupId)
    {
        lock (this) (_data.Groups ??= new())[name] = Convert.ToHexStringLower(groupId);
        Save();
    }

    /// <summary>A group by its name as this profile knows it, or by its address (#hex, 32 hex digits).</summary>
    public byte[] ResolveGroup(string nameOrAddress)
    {
        var hex = nameOrAddress.TrimStart('#');
        if (hex.Length == 32 && hex.All(Uri.IsHexDigit)) return Convert.FromHexString(hex);
        lock (this)
            if (_data.Groups is { } groups && groups.TryGetValue(nameOrAddress, out var known)) return Convert.FromHexString(known);
        throw new CliException($"no group '{nameOrAddress}' is known to this profile: use its address (#hex), as 'group create' printed it");
    }

    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("FASTCHAT_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fastchat");

    public static Profile Open(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "profile.json");
        var data = File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), ProfileJson.Default.ProfileData) ?? new() : new ProfileData();
        return new Profile(directory, data);
    }

    private string DevicePath => Path.Combine(_directory, "device.db");

    public bool HasDevice => File.Exists(DevicePath);

    private StoreProtection Protection =>
        Environment.GetEnvironmentVariable("FASTCHAT_PASSPHRASE") is { Length: > 0 } passphrase
            ? StoreProtection.Passphrase(passphrase)
            : StoreProtection.KeyFile(Path.Combine(_directory, "device.key"));

    public DeviceStore OpenDevice() =>
        HasDevice ? DeviceStore.Open(DevicePath, Protection) : throw new CliException("this profile has no device yet: run 'fastchat register <name>' first");

    /// <summary>A new device store for <paramref name="user"/>; a profile from before the store brings its identity.key (the Noise key the account knows), which is then deleted.</summary>
    public DeviceStore CreateDevice(string user)
    {
        var legacy = Path.Combine(_directory, "identity.key");
        var store = DeviceStore.Create(DevicePath, user, Protection, File.Exists(legacy) ? File.ReadAllBytes(legacy) : null);
        File.Delete(legacy);
        return store;
    }

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
    public Dictionary<string, string>? Groups { get; set; }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ProfileData))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class ProfileJson : System.Text.Json.Serialization.JsonSerializerContext;
