namespace FastChat.Cli.Commands;

/// <summary><c>fastchat send CONTACT TEXT</c>: encrypt one message, send it, exit once the server has it (✓).</summary>
public static class SendCommand
{
    public static async Task<int> RunAsync(Profile profile, string contact, string text, TextWriter output)
    {
        await using var session = await Session.ConnectAsync(profile, s => s.Warn(output.WriteLine));
        ulong id = await session.Chat.SendTextAsync(contact, text).WaitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"✓ sent to {contact}, end-to-end encrypted (id {id})");
        return 0;
    }
}
