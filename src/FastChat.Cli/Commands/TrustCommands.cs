namespace FastChat.Cli.Commands;

/// <summary>The offline commands about identities: <c>safety-number</c>, <c>trust</c> and <c>whoami</c>.</summary>
public static class TrustCommands
{
    public static int SafetyNumber(Profile profile, string contact, TextWriter output)
    {
        using var device = profile.OpenDevice();
        var digits = FastChat.Client.Encryption.SecureChat.SafetyNumberOf(device, contact)
            ?? throw new CliException($"no session with {contact} yet: send or receive a message first");
        output.WriteLine($"Safety number with {contact} (compare it with theirs; the same on both devices):");
        for (int row = 0; row < 3; row++)
            output.WriteLine("  " + string.Join(' ', Enumerable.Range(row * 4, 4).Select(g => digits.Substring(g * 5, 5))));
        return 0;
    }

    public static int Trust(Profile profile, string contact, TextWriter output)
    {
        using var device = profile.OpenDevice();
        using var chat = new FastChat.Client.Encryption.SecureChat(Session.CreateClient(profile, device), device);
        var released = chat.AcceptIdentity(contact);
        output.WriteLine($"Accepted {contact}'s new identity.{(released.Count > 0 ? $" Messages held until now:" : "")}");
        foreach (var line in released.Select(m => MessageView.Format(m, "yyyy-MM-dd HH:mm:ss")).OfType<string>()) output.WriteLine(line);
        return 0;
    }

    public static int WhoAmI(Profile profile, TextWriter output)
    {
        output.WriteLine($"user: {profile.UserName ?? "(not registered)"}");
        output.WriteLine($"server: {profile.Server}");
        output.WriteLine($"server key: {profile.ServerKey ?? "(not pinned yet)"}");
        if (profile.HasDevice)
        {
            using var device = profile.OpenDevice();
            long id = device.GetNumber("device_id", device.GetNumber("device_list_generation", 0) > 0 ? 1 : 0); // profiles from before device ids were kept
            output.WriteLine($"device: {(id switch { 0 => "not signed in yet", 1 => "1 (primary)", _ => $"{id} (linked)" })}, identity key {Convert.ToHexString(device.IdentityKeyPair.PublicKey.Serialized).ToLowerInvariant()}");
            output.WriteLine($"encryption keys published: {(id > 0 ? "yes" : "no (run register or link again)")}");
        }
        return 0;
    }
}
