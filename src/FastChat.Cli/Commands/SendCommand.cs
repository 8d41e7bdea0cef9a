using System.Text;

namespace FastChat.Cli.Commands;

/// <summary><c>fastchat send CONTACT TEXT</c>: send one message and exit once the server has it (✓).</summary>
public static class SendCommand
{
    public static async Task<int> RunAsync(Profile profile, string contact, string text, TextWriter output)
    {
        var (client, _) = await Session.ConnectAsync(profile);
        await using (client)
        {
            ulong id = await client.SendAsync(contact, Encoding.UTF8.GetBytes(text)).WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"✓ sent to {contact} (id {id})");
        }
        return 0;
    }
}
