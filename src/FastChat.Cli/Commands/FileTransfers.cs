using FastChat.Client.Encryption;
using FastChat.Client.Media;
using Spectre.Console;

namespace FastChat.Cli.Commands;

/// <summary>
/// Files in the CLI (protocol-spec/16-media.md): sending one, and saving received ones into the
/// downloads folder, each with a progress bar (Spectre.Console; plain lines when output is not a terminal).
/// </summary>
public static class FileTransfers
{
    public static string DefaultDownloads(Profile profile) => Path.Combine(profile.Directory, "downloads");

    private static IAnsiConsole Console(TextWriter output) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.Detect });

    /// <summary>Encrypts, uploads (with a progress bar) and sends the file; returns the message id (✓).</summary>
    public static async Task<ulong> SendAsync(SecureChat chat, string contact, string path, TextWriter output)
    {
        if (!File.Exists(path)) throw new CliException($"there is no file {path}");
        long size = new FileInfo(path).Length;
        ulong id = 0;
        await Console(output).Progress().AutoClear(false).StartAsync(async progress =>
        {
            var bar = progress.AddTask($"sending {Markup.Escape(Path.GetFileName(path))}", maxValue: Math.Max(1, size));
            // The upload is of the ciphertext (a few bytes longer): the bar counts up to the file's size.
            id = await chat.SendFileAsync(contact, path, new Progress<long>(sent => bar.Value = Math.Min(sent, size)), ContentTypes.Of(path)).ConfigureAwait(false);
            bar.Value = size;
        }).ConfigureAwait(false);
        return id;
    }

    /// <summary>Downloads and decrypts a received file into <paramref name="folder"/> (a new name if one is taken); returns where it went.</summary>
    public static async Task<string> SaveAsync(MediaPointer pointer, string folder, TextWriter output)
    {
        Directory.CreateDirectory(folder);
        string target = FreeName(folder, pointer.FileName);
        await Console(output).Progress().AutoClear(false).StartAsync(async progress =>
        {
            var bar = progress.AddTask($"receiving {Markup.Escape(pointer.FileName)}", maxValue: Math.Max(1, pointer.Keys.EncryptedLength));
            await MediaTransfer.DownloadAsync(pointer, target + ".download", target, new Progress<long>(have => bar.Value = have)).ConfigureAwait(false);
            bar.Value = pointer.Keys.EncryptedLength;
        }).ConfigureAwait(false);
        return target;
    }

    private static string FreeName(string folder, string name)
    {
        string safe = string.Concat(Path.GetFileName(name).Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));
        if (safe.Length == 0 || safe is "." or "..") safe = "file";
        string candidate = Path.Combine(folder, safe);
        for (int i = 1; File.Exists(candidate) || File.Exists(candidate + ".download"); i++)
            candidate = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(safe)} ({i}){Path.GetExtension(safe)}");
        return candidate;
    }
}

/// <summary>A file's content type from its extension, for the receiver's display (it is not trusted for anything).</summary>
internal static class ContentTypes
{
    public static string Of(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        ".mp4" => "video/mp4",
        ".ogg" or ".opus" => "audio/ogg",
        ".pdf" => "application/pdf",
        ".txt" => "text/plain",
        _ => "application/octet-stream",
    };
}
