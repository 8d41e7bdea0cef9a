using FastChat.Client;
using FastChat.Client.Encryption;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Wire;

namespace FastChat.Cli.Commands;

/// <summary>
/// <c>fastchat group create|add|remove|leave|promote|info|chat</c> (protocol-spec/14-groups.md):
/// membership at the group's home, and a group chat with sender keys where <c>/info</c> shows who
/// has (✓✓) and who has read each message sent.
/// </summary>
public static class GroupCommands
{
    public static async Task<int> CreateAsync(Profile profile, string name, IReadOnlyList<string> members, TextWriter output)
    {
        await using var session = await Session.ConnectAsync(profile).ConfigureAwait(false);
        var id = await session.Chat.CreateGroupAsync(name, members).ConfigureAwait(false);
        profile.RememberGroup(name, id);
        output.WriteLine($"created group '{name}' {GroupAddress.Of(id)} with {string.Join(", ", members.Prepend(session.Device.UserName + " (admin)"))}");
        return 0;
    }

    public static async Task<int> ChangeAsync(Profile profile, GroupOp op, string group, IReadOnlyList<string> users, TextWriter output)
    {
        var id = profile.ResolveGroup(group);
        await using var session = await Session.ConnectAsync(profile).ConfigureAwait(false);
        var result = await session.Client.ChangeGroupAsync(op, id, users).ConfigureAwait(false);
        if (result.Status != GroupStatusCode.Done) throw new CliException(result.Message);
        output.WriteLine($"{op.ToString().ToLowerInvariant()}: done (the group is at version {result.Version})");
        return 0;
    }

    public static async Task<int> InfoAsync(Profile profile, string group, TextWriter output)
    {
        var id = profile.ResolveGroup(group);
        await using var session = await Session.ConnectAsync(profile).ConfigureAwait(false);
        var state = await session.Client.QueryGroupAsync(id).ConfigureAwait(false);
        if (state.Status != GroupStatusCode.Done) throw new CliException(state.Status == GroupStatusCode.NotMember ? "you are not a member of this group" : $"{state.Status}");
        output.WriteLine($"{state.Name} {GroupAddress.Of(id)}, version {state.Version}, {state.Members.Count} members:");
        foreach (var member in state.Members) output.WriteLine($"  {member.User}{(member.Admin ? " (admin)" : "")}");
        return 0;
    }

    /// <summary>One line for a group message (or null for what is not shown).</summary>
    public static string? Format(OpenedMessage opened, string groupName) => opened.Status switch
    {
        OpenedStatus.Encrypted => $"[{groupName}] {opened.Sender}: {opened.Text}",
        OpenedStatus.AwaitingKey => null, // shown when its sender's key arrives
        OpenedStatus.Duplicate => null,
        _ => $"[{groupName}] ⚠ a message from {opened.From} could not be opened: {opened.Problem}",
    };

    public static async Task<int> ChatAsync(Profile profile, string group, TextReader input, TextWriter output)
    {
        var id = profile.ResolveGroup(group);
        void Print(string line) { lock (output) output.WriteLine(line); }
        var receipts = new GroupReceipts(id);
        string name = group;
        var session = await Session.ConnectAsync(profile, s =>
        {
            void Show(OpenedMessage opened)
            {
                if (opened.Group is null || !opened.Group.AsSpan().SequenceEqual(id)) return;
                if (Format(opened, name) is { } line) Print(line);
                if (opened.Status == OpenedStatus.Encrypted) _ = s.Client.MarkReadAsync(opened.From, opened.MessageId, group: id);
            }
            s.Client.GroupMessageReceived += m => Show(s.Chat.OpenGroup(m));
            s.Chat.Released += released => { foreach (var m in released) Show(m); };
            // Sender keys come over the pairwise sessions: opening them releases held group messages.
            s.Client.MessageReceived += m =>
            {
                var opened = s.Chat.Open(m);
                if (opened.Status == OpenedStatus.IdentityChanged) Print($"⚠ {opened.Problem}");
            };
            s.Client.GroupChanged += (from, change) =>
            {
                if (change.GroupId.AsSpan().SequenceEqual(id)) Print($"-- {from.Split('/')[0]} {change.Op.ToString().ToLowerInvariant()} {string.Join(", ", change.Users)}".TrimEnd());
            };
            s.Client.ReceiptReceived += receipts.Add;
            s.Warn(Print);
        }).ConfigureAwait(false);
        await using (session)
        {
            var state = await session.Client.QueryGroupAsync(id).ConfigureAwait(false);
            if (state.Status != GroupStatusCode.Done) throw new CliException("you are not a member of this group");
            name = state.Name;
            profile.RememberGroup(state.Name, id);
            Print($"-- group '{state.Name}' ({state.Members.Count} members), end-to-end encrypted with sender keys; /info shows ✓✓ and read per member; /quit to leave");
            var sent = new List<(int Number, ulong Id, string Text)>();
            string? line;
            while ((line = await input.ReadLineAsync().ConfigureAwait(false)) is not null)
            {
                if (line == "/quit") break;
                if (line == "/info")
                {
                    var members = (session.Chat.KnownGroup(id)?.Members ?? state.Members).Select(m => m.User).Where(u => u != session.Device.UserName).ToArray();
                    lock (sent) foreach (var (number, messageId, text) in sent) Print(receipts.Describe(number, messageId, text, members));
                    continue;
                }
                if (line.Length == 0) continue;
                try
                {
                    ulong messageId = await session.Chat.SendGroupTextAsync(id, line).ConfigureAwait(false);
                    lock (sent) sent.Add((sent.Count + 1, messageId, line));
                    Print($"you [{sent.Count}] ✓: {line}");
                }
                catch (Exception ex) when (ex is FastChatException or SecureChatException or IdentityChangedException or DeviceListException)
                {
                    Print($"  not sent: {ex.Message}");
                }
            }
        }
        return 0;
    }
}

/// <summary>Per-member delivered and read marks for one group (receipts count within the group, cumulatively per member device).</summary>
internal sealed class GroupReceipts(byte[] groupId)
{
    private readonly Dictionary<string, (ulong Delivered, ulong Read)> _byMember = new(StringComparer.Ordinal);

    public void Add(Receipt receipt)
    {
        if (receipt.Group is not { } group || !group.AsSpan().SequenceEqual(groupId) || !DeviceAddress.TryParse(receipt.Peer, out var account, out _)) return;
        lock (_byMember)
        {
            var (delivered, read) = _byMember.GetValueOrDefault(account);
            delivered = Math.Max(delivered, receipt.MessageId);
            if (receipt.Kind == ReceiptKind.Read) read = Math.Max(read, receipt.MessageId);
            _byMember[account] = (delivered, read);
        }
    }

    public string Describe(int number, ulong messageId, string text, IReadOnlyList<string> members)
    {
        lock (_byMember)
        {
            var read = members.Where(m => _byMember.GetValueOrDefault(m).Read >= messageId).ToArray();
            var delivered = members.Where(m => _byMember.GetValueOrDefault(m).Delivered >= messageId && !read.Contains(m)).ToArray();
            var waiting = members.Except(read).Except(delivered).ToArray();
            return $"[{number}] {text}: read by {List(read)}; ✓✓ {List(delivered)}; not yet {List(waiting)}";
        }
    }

    private static string List(IReadOnlyCollection<string> names) => names.Count == 0 ? "-" : string.Join(", ", names);
}
