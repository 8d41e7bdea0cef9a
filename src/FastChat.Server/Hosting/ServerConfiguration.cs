using Microsoft.Extensions.Configuration;

namespace FastChat.Server.Hosting;

/// <summary>
/// The server's configuration, built one way for the running server and the admin commands alike:
/// appsettings.json beside the binary, then environment variables (<c>FastChat__Port=6000</c>), then
/// the command line (<c>--FastChat:Port=6000</c>), in increasing priority. So an admin command
/// reads the same data directory as the server it serves.
/// </summary>
public static class ServerConfiguration
{
    public static IConfigurationBuilder AddServerSources(this IConfigurationBuilder builder, string[] args) =>
        builder
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args);

    public static IConfiguration Build(string[] args) => new ConfigurationBuilder().AddServerSources(args).Build();

    /// <summary>
    /// Binds and validates the FastChat section; the data directory becomes absolute. A value that
    /// does not parse is reported with its key, never as a binder stack trace.
    /// </summary>
    public static FastChatOptions BindOptions(IConfiguration configuration, Action<FastChatOptions>? configure = null)
    {
        FastChatOptions options;
        try
        {
            options = configuration.GetSection(FastChatOptions.Section).Get<FastChatOptions>() ?? new FastChatOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException($"Invalid FastChat configuration: {ex.InnerException?.Message ?? ex.Message} ({ex.Message})", ex);
        }
        configure?.Invoke(options);
        options.Validate();
        if (!Path.IsPathRooted(options.DataDirectory))
            options.DataDirectory = Path.GetFullPath(options.DataDirectory, Directory.GetCurrentDirectory());
        return options;
    }
}
