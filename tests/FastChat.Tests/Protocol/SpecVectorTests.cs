using System.Text.Json;
using System.Text.Json.Nodes;

namespace FastChat.Tests.Protocol;

/// <summary>The worked examples in protocol-spec/vectors are what this implementation produces, byte for byte.</summary>
public class SpecVectorTests
{
    private static string SpecPath(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FastChat.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repo root not found"), "protocol-spec", "vectors", name);
    }

    private static void Check(string name, JsonObject expected)
    {
        var path = SpecPath(name);
        var text = expected.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        if (Environment.GetEnvironmentVariable("FASTCHAT_WRITE_VECTORS") == "1") File.WriteAllText(path, text);
        Assert.True(File.Exists(path), $"{path} is missing; run the tests once with FASTCHAT_WRITE_VECTORS=1");
        Assert.Equal(text, File.ReadAllText(path));
    }

    [Fact]
    public void Handshake_vector_matches_the_spec() => Check("handshake.json", SpecVectors.Handshake());

    [Fact]
    public void Frame_vectors_match_the_spec() => Check("frames.json", SpecVectors.Frames());

    [Fact]
    public void Prekey_vectors_match_the_spec() => Check("prekeys.json", SpecVectors.Prekeys());

    [Fact]
    public void Prekey_page_shows_every_prekey_vector_and_its_signature_verifies()
    {
        PageShowsEveryFrame("12-prekeys.md", SpecVectors.Prekeys());
        var hex = SpecVectors.Prekeys()["frames"]!["prekey_upload"]!["hex"]!.GetValue<string>();
        Assert.True(FastChat.Protocol.Frames.PrekeyUploadBody.TryParse(Convert.FromHexString(hex)[4..], out var upload));
        Assert.True(FastChat.Signal.Curve.SignalPublicKey.TryParse(upload.IdentityKey, out var identity));
        Assert.True(FastChat.Signal.Curve.XEdDsa.Verify(identity, upload.SignedPrekey!.PublicKey, upload.SignedPrekey.Signature));
    }

    [Fact]
    public void Device_list_vectors_match_the_spec() => Check("devices.json", SpecVectors.Devices());

    [Fact]
    public void Device_page_shows_every_vector_and_the_signature_verifies_over_the_statement()
    {
        var vectors = SpecVectors.Devices();
        var flat = PageShowsEveryFrame("13-devices.md", vectors);
        Assert.Contains(vectors["statement"]!.GetValue<string>(), flat);
        var statement = Convert.FromHexString(vectors["statement"]!.GetValue<string>());
        Assert.True(FastChat.Protocol.Frames.DeviceList.TryDecode(statement, out var list));
        Assert.True(FastChat.Signal.Curve.SignalPublicKey.TryParse(list.Primary.IdentityKey, out var accountKey));
        Assert.True(FastChat.Signal.Curve.XEdDsa.Verify(accountKey, statement, Convert.FromHexString(vectors["signature"]!.GetValue<string>())));
    }

    [Fact]
    public void Envelope_vector_matches_the_spec_and_the_page_shows_it()
    {
        Check("envelope.json", SpecVectors.Envelope());
        var page = File.ReadAllText(Path.Combine(Path.GetDirectoryName(SpecPath("frames.json"))!, "..", "11-end-to-end.md")).Replace("\n", "");
        Assert.Contains(SpecVectors.Envelope()["envelope_text"]!["hex"]!.GetValue<string>(), page);
    }

    [Fact]
    public void Group_vectors_match_the_spec_and_the_page_shows_them()
    {
        Check("groups.json", SpecVectors.Groups());
        PageShowsEveryFrame("14-groups.md", SpecVectors.Groups());
    }

    [Fact]
    public void Presence_vectors_match_the_spec_and_the_page_shows_them()
    {
        Check("presence.json", SpecVectors.Presence());
        PageShowsEveryFrame("15-presence.md", SpecVectors.Presence());
    }

    [Fact]
    public async Task Media_vectors_match_the_spec_the_page_shows_them_and_the_sdk_decrypts_the_example()
    {
        var vectors = SpecVectors.Media();
        Check("media.json", vectors);
        var flat = PageShowsEveryFrame("16-media.md", vectors);
        foreach (var key in new[] { "expanded_keys", "upload", "upload_sha256" }) Assert.Contains(vectors[key]!.GetValue<string>(), flat);
        var upload = Convert.FromHexString(vectors["upload"]!.GetValue<string>());
        var keys = new FastChat.Client.Media.MediaKeys(Convert.FromHexString(vectors["media_key"]!.GetValue<string>()),
            System.Security.Cryptography.SHA256.HashData("hello media"u8), System.Security.Cryptography.SHA256.HashData(upload), 11, upload.Length);
        using var output = new MemoryStream();
        await FastChat.Client.Media.MediaCipher.DecryptAsync(new MemoryStream(upload), keys, output);
        Assert.Equal("hello media"u8.ToArray(), output.ToArray());
    }

    [Fact]
    public void Examples_page_shows_every_vector()
    {
        var flat = PageShowsEveryFrame("08-examples.md", SpecVectors.Frames());
        var handshake = SpecVectors.Handshake();
        foreach (var key in new[] { "message1_wire", "message2_wire", "message3_wire", "handshake_hash", "first_server_record_wire", "first_client_record_wire" })
            Assert.Contains(handshake[key]!.GetValue<string>(), flat);
    }

    /// <summary>Checks the spec page shows each frame's hex (wrapped lines joined); returns the joined page.</summary>
    private static string PageShowsEveryFrame(string pageName, JsonObject vectors)
    {
        var page = File.ReadAllText(Path.Combine(Path.GetDirectoryName(SpecPath("frames.json"))!, "..", pageName));
        var flat = page.Replace("\n", "").Replace("\r", "");
        foreach (var (_, node) in vectors["frames"]!.AsObject())
            Assert.Contains(node!["hex"]!.GetValue<string>(), flat);
        return flat;
    }
}
