using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FastChat.Tests.Infrastructure;

/// <summary>
/// A Signal Protocol user run by libsignal (libsignal-node 6.0.0) in a Node process
/// (tests/interop-node/party.js): the independent other party of the end-to-end encryption tests.
/// The first use installs its packages with <c>npm ci</c> from the committed lockfile.
/// </summary>
public sealed class LibsignalParty : IAsyncDisposable
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static bool _installed;
    private readonly Process _process;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _stderr = new();

    private LibsignalParty(Process process) => _process = process;

    public static string Directory { get; } = typeof(LibsignalParty).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "InteropNodeDirectory").Value!;

    public static async Task<LibsignalParty> StartAsync()
    {
        await EnsureInstalledAsync();
        var info = new ProcessStartInfo("node") { WorkingDirectory = Directory, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("party.js");
        var party = new LibsignalParty(Process.Start(info)!);
        party._process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (party._stderr) party._stderr.Add(line); };
        party._process.BeginErrorReadLine();
        return party;
    }

    /// <summary>Sends one command; returns the answer, or throws with libsignal's error.</summary>
    public async Task<JsonObject> CallAsync(JsonObject command)
    {
        await _gate.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(command.ToJsonString());
            await _process.StandardInput.FlushAsync();
            var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
                ?? throw new InvalidOperationException("the libsignal party exited:\n" + string.Join('\n', _stderr));
            var answer = JsonNode.Parse(line)!.AsObject();
            if (answer["ok"]?.GetValue<bool>() != true) throw new LibsignalException(answer["error"]?.GetValue<string>() ?? line);
            return answer;
        }
        finally { _gate.Release(); }
    }

    public static string B64(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes);
    public static byte[] Bytes(JsonNode? node) => Convert.FromBase64String(node!.GetValue<string>());

    internal static async Task EnsureInstalledAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            // Installed for this lockfile (a stamp npm ci's output is marked with), or install now.
            var stamp = Path.Combine(Directory, "node_modules", ".fastchat-lockfile-sha256");
            var lockHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(Directory, "package-lock.json"))));
            if (_installed || (File.Exists(stamp) && File.ReadAllText(stamp) == lockHash)) { _installed = true; return; }
            var info = new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
            using var npm = Process.Start(info)!;
            var output = npm.StandardOutput.ReadToEndAsync();
            var errors = npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci in {Directory} failed:\n{await output}\n{await errors}");
            File.WriteAllText(stamp, lockHash);
            _installed = true;
        }
        finally { InstallGate.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.StandardInput.Close(); } catch (IOException) { }
        if (!await Task.Run(() => _process.WaitForExit(5000))) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

public sealed class LibsignalException(string message) : Exception(message);
