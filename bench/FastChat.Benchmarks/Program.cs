using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/FastChat.Benchmarks -- --filter '*'
// Results (markdown + JSON) land in bench/results/.
if (args is ["alloc-probe", ..])
{
    FastChat.Benchmarks.DispatchBenchmarks.AllocationProbe(groupCommit: args.Contains("--commit"));
    return;
}
var resultsDir = Path.Combine(FindRepoRoot(), "bench", "results");
var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddExporter(JsonExporter.Full)
    .WithArtifactsPath(resultsDir);
BenchmarkSwitcher.FromAssembly(typeof(FastChat.Benchmarks.Fixtures).Assembly).Run(args, config);

static string FindRepoRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FastChat.sln"))) dir = dir.Parent;
    return dir?.FullName ?? Directory.GetCurrentDirectory();
}
