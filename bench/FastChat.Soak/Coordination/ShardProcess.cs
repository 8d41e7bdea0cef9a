using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace FastChat.Soak;

/// <summary>
/// One harness child process running shard <c>i/n</c> against the coordinator's server. Shard 0's
/// progress goes to our stderr; the others' stderr is kept and shown only if they fail.
/// </summary>
internal sealed class ShardProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _errors = new();
    private readonly Task _errorPump;

    public int Index { get; }

    private ShardProcess(int index, Process process)
    {
        Index = index;
        _process = process;
        var stderr = process.StandardError;
        _errorPump = index == 0
            ? stderr.BaseStream.CopyToAsync(Console.OpenStandardError())
            : Task.Run(async () => { var text = await stderr.ReadToEndAsync(); lock (_errors) _errors.Append(text); });
    }

    public static ShardProcess Start(ShardSpec shard, IEnumerable<string> args, ServerUnderTest server)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(typeof(ShardProcess).Assembly.Location); // this harness, also when hosted by a test
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var arg in new[] { "--server", $"{server.Host}:{server.Port}", "--server-pid", server.Pid.ToString(), "--shard", shard.ToString() })
            info.ArgumentList.Add(arg);
        return new ShardProcess(shard.Index, Process.Start(info)!);
    }

    /// <summary>The next thing the shard reports: a barrier it waits at, or its result line.</summary>
    public async Task<ShardReport> NextAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(ShardProtocol.Ready + " ", StringComparison.Ordinal))
            {
                var f = line.Split(' ');
                return new ShardReport(f[1], f[2] == "1", null);
            }
            if (line.StartsWith('{')) return new ShardReport(null, false, JsonNode.Parse(line)!.AsObject());
        }
        await _process.WaitForExitAsync();
        await _errorPump;
        string errors;
        lock (_errors) errors = _errors.ToString();
        throw new InvalidOperationException($"shard {Index} exited ({_process.ExitCode}) without a result{(errors.Length > 0 ? ":\n" + errors[Math.Max(0, errors.Length - 2000)..] : "")}");
    }

    public async Task GoAsync(ProcessSample sample)
    {
        await _process.StandardInput.WriteLineAsync($"{ShardProtocol.Go} {sample.Format()}");
        await _process.StandardInput.FlushAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(true);
        _process.Dispose();
    }
}

/// <summary>A barrier (<see cref="Phase"/>) or a final result.</summary>
internal sealed record ShardReport(string? Phase, bool WantsHeap, JsonObject? Result);
