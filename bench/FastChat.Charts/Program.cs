using FastChat.Charts;

// fastchat-charts: PNG charts from the soak harness's result lines.
//   dotnet run -c Release --project bench/FastChat.Charts [-- RESULTS_FOLDER [CHARTS_FOLDER]]
// Defaults: bench/results/soak (every *.jsonl under it) → bench/results/soak/charts.
string results = args.Length > 0 ? args[0] : Path.Combine("bench", "results", "soak");
string charts = args.Length > 1 ? args[1] : Path.Combine(results, "charts");
if (!Directory.Exists(results))
{
    Console.Error.WriteLine($"no results folder {results}; run from the repository root or pass the folder");
    return 2;
}
var runs = SoakRuns.Load(results);
Directory.CreateDirectory(charts);
var written = new List<string?> { IdleChart.Render(runs, charts) };
written.AddRange(ThroughputCharts.Render(runs, charts));
written.AddRange(TimelineChart.Render(runs, charts));
written.AddRange(RuntimeSettingsCharts.Render(runs, charts));
written.Add(MarkdownSummary.Write(runs, charts));
Console.WriteLine($"{runs.Count} runs read from {results}");
foreach (var file in written.OfType<string>()) Console.WriteLine($"  {file}");
return 0;
