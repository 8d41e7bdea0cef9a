using ScottPlot;

namespace FastChat.Charts;

/// <summary>One look for every chart, and the save step.</summary>
internal static class ChartStyle
{
    public const int Width = 960, Height = 540;

    public static Plot New(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    public static ScottPlot.Plottables.Scatter Line(Plot plot, double[] xs, double[] ys, string legend)
    {
        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = legend;
        line.LineWidth = 2;
        line.MarkerSize = 8;
        return line;
    }

    public static void Target(Plot plot, double y, string legend)
    {
        var target = plot.Add.HorizontalLine(y);
        target.LinePattern = LinePattern.Dashed;
        target.LegendText = legend;
    }

    /// <summary>A log-10 axis drawn from values already in log10, labelled with the plain numbers.</summary>
    public static void LogTicks(IAxis axis, IEnumerable<double> values)
    {
        var positions = values.Distinct().Order().ToArray();
        axis.SetTicks(positions.Select(Math.Log10).ToArray(), positions.Select(v => v.ToString("#,0.###", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    public static string Save(Plot plot, string folder, string name)
    {
        plot.ShowLegend(Alignment.UpperLeft);
        var path = Path.Combine(folder, name);
        plot.SavePng(path, Width, Height);
        return path;
    }
}
