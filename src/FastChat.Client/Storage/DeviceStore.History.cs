using System.Text;

namespace FastChat.Client.Storage;

/// <summary>One line of a conversation as this device saw it.</summary>
/// <param name="Conversation">The contact the conversation is with.</param>
/// <param name="Outgoing">Sent by this account (from this device or, as a sent copy, from another of its devices).</param>
/// <param name="Device">The sending device's address; null for this device.</param>
/// <param name="Encrypted">False for a plain payload of an older client (shown as not end-to-end encrypted).</param>
public sealed record HistoryEntry(string Conversation, bool Outgoing, string? Device, ulong MessageId, DateTimeOffset At, string Text, bool Encrypted);

/// <summary>
/// The message history: every text shown or sent, per conversation, with its text sealed like
/// the keys (<see cref="SealedBox"/>, bound to its row's conversation, id and direction).
/// </summary>
public sealed partial class DeviceStore
{
    private const string HistorySchema = """
        CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY AUTOINCREMENT, conversation TEXT NOT NULL, outgoing INTEGER NOT NULL,
            device TEXT, message_id INTEGER NOT NULL, at_ms INTEGER NOT NULL, encrypted INTEGER NOT NULL, sealed BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS history_by_conversation ON history (conversation, seq);
        """;

    private static string HistorySlot(string conversation, bool outgoing, ulong messageId) => $"history/{conversation}/{(outgoing ? 1 : 0)}/{messageId}";

    public void AddHistory(HistoryEntry entry)
    {
        lock (_db)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "INSERT INTO history (conversation, outgoing, device, message_id, at_ms, encrypted, sealed) VALUES ($c, $o, $d, $m, $t, $e, $s)";
            command.Parameters.AddWithValue("$c", entry.Conversation);
            command.Parameters.AddWithValue("$o", entry.Outgoing ? 1 : 0);
            command.Parameters.AddWithValue("$d", (object?)entry.Device ?? DBNull.Value);
            command.Parameters.AddWithValue("$m", (long)entry.MessageId);
            command.Parameters.AddWithValue("$t", entry.At.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$e", entry.Encrypted ? 1 : 0);
            command.Parameters.AddWithValue("$s", _box.Seal(HistorySlot(entry.Conversation, entry.Outgoing, entry.MessageId), Encoding.UTF8.GetBytes(entry.Text)));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>The last <paramref name="limit"/> lines with <paramref name="conversation"/>, oldest first.</summary>
    public IReadOnlyList<HistoryEntry> History(string conversation, int limit = 50)
    {
        var entries = new List<HistoryEntry>();
        lock (_db)
        {
            using var command = _db.CreateCommand();
            command.CommandText = """
                SELECT outgoing, device, message_id, at_ms, encrypted, sealed FROM
                  (SELECT * FROM history WHERE conversation = $c ORDER BY seq DESC LIMIT $n) ORDER BY seq
                """;
            command.Parameters.AddWithValue("$c", conversation);
            command.Parameters.AddWithValue("$n", limit);
            using var rows = command.ExecuteReader();
            while (rows.Read())
            {
                bool outgoing = rows.GetInt64(0) == 1;
                ulong messageId = (ulong)rows.GetInt64(2);
                var text = Encoding.UTF8.GetString(_box.Open(HistorySlot(conversation, outgoing, messageId), (byte[])rows.GetValue(5)));
                entries.Add(new HistoryEntry(conversation, outgoing, rows.IsDBNull(1) ? null : rows.GetString(1), messageId,
                    DateTimeOffset.FromUnixTimeMilliseconds(rows.GetInt64(3)), text, rows.GetInt64(4) == 1));
            }
        }
        return entries;
    }
}
