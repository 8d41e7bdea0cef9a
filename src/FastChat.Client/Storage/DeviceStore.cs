using System.Security.Cryptography;
using FastChat.Protocol.Frames;
using FastChat.Signal.Curve;
using FastChat.Signal.Sessions;
using FastChat.Signal.Stores;
using Microsoft.Data.Sqlite;

namespace FastChat.Client.Storage;

/// <summary>
/// One device's state in a SQLite file: its account name, Noise static key and Signal identity,
/// prekeys, sessions and the identities it trusts. Private keys and session state (chain keys)
/// are sealed (<see cref="SealedBox"/>) under a data key from <see cref="StoreProtection"/>;
/// public keys and names are stored as they are. Writes are immediate and durable (SQLite WAL,
/// synchronous=FULL): a ratchet step is kept before the message that caused it is acknowledged.
/// Also the client's <see cref="IClientStateStore"/> (message ids and dedupe marks). Each call is
/// atomic under the connection's lock; a sequence of calls (a cipher's load and store) is the caller's to serialize.
/// </summary>
public sealed partial class DeviceStore : ISignalProtocolStore, ISenderKeyStore, IClientStateStore, IDisposable
{
    private const int SchemaVersion = 1;
    private readonly SqliteConnection _db;
    private readonly SealedBox _box;

    public string UserName { get; }
    public byte[] NoisePrivateKey { get; }
    public SignalKeyPair IdentityKeyPair { get; }
    public uint RegistrationId { get; }

    private DeviceStore(SqliteConnection db, SealedBox box, string userName, byte[] noiseKey, SignalKeyPair identity, uint registrationId)
    {
        (_db, _box, UserName, NoisePrivateKey, IdentityKeyPair, RegistrationId) = (db, box, userName, noiseKey, identity, registrationId);
    }

    /// <summary>Creates a new device's store at <paramref name="path"/> with fresh keys; fails if one exists.</summary>
    public static DeviceStore Create(string path, string userName, StoreProtection protection) => Create(path, userName, protection, null);

    /// <summary>As <see cref="Create(string, string, StoreProtection)"/>, keeping the device's existing Noise key (a profile from before the store).</summary>
    public static DeviceStore Create(string path, string userName, StoreProtection protection, byte[]? noiseKey)
    {
        if (File.Exists(path)) throw new IOException($"{path} exists: open it instead of creating a new device over it");
        var db = Connect(path);
        try
        {
            Execute(db, """
                CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE secrets (name TEXT PRIMARY KEY, sealed BLOB NOT NULL);
                CREATE TABLE prekeys (id INTEGER PRIMARY KEY, sealed BLOB NOT NULL);
                CREATE TABLE signed_prekeys (id INTEGER PRIMARY KEY, sealed BLOB NOT NULL);
                CREATE TABLE sessions (address TEXT PRIMARY KEY, sealed BLOB NOT NULL);
                CREATE TABLE identities (address TEXT PRIMARY KEY, identity_key BLOB NOT NULL);
                CREATE TABLE held (seq INTEGER PRIMARY KEY AUTOINCREMENT, sender TEXT NOT NULL, message_id INTEGER NOT NULL, payload BLOB NOT NULL);
                """);
            var salt = RandomNumberGenerator.GetBytes(16);
            var box = new SealedBox(protection.DataKey(salt, creating: true));
            noiseKey ??= RandomNumberGenerator.GetBytes(32);
            var identity = SignalKeyPair.Generate();
            uint registrationId = (uint)RandomNumberGenerator.GetInt32(1, 16381);
            using (var tx = db.BeginTransaction())
            {
                PutMeta(db, "schema", BitConverter.GetBytes(SchemaVersion));
                PutMeta(db, "salt", salt);
                PutMeta(db, "user", System.Text.Encoding.ASCII.GetBytes(userName));
                PutMeta(db, "registration_id", BitConverter.GetBytes(registrationId));
                PutMeta(db, "identity_public", identity.PublicKey.Serialized.ToArray());
                PutSecret(db, box, "noise_private", noiseKey);
                PutSecret(db, box, "identity_private", identity.PrivateKey);
                tx.Commit();
            }
            return new DeviceStore(db, box, userName, noiseKey, identity, registrationId);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing store; a wrong passphrase or key file fails here, clearly.</summary>
    public static DeviceStore Open(string path, StoreProtection protection)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no device store at {path}", path);
        var db = Connect(path);
        try
        {
            if (BitConverter.ToInt32(GetMeta(db, "schema")) != SchemaVersion) throw new InvalidDataException($"{path} has another schema version");
            var box = new SealedBox(protection.DataKey(GetMeta(db, "salt"), creating: false));
            var identity = new SignalKeyPair(GetSecret(db, box, "identity_private"));
            if (!identity.PublicKey.Serialized.SequenceEqual(GetMeta(db, "identity_public"))) throw new InvalidDataException("the identity keys do not match");
            return new DeviceStore(db, box, System.Text.Encoding.ASCII.GetString(GetMeta(db, "user")), GetSecret(db, box, "noise_private"), identity,
                BitConverter.ToUInt32(GetMeta(db, "registration_id")));
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    public bool IsTrustedIdentity(string address, SignalPublicKey identity) =>
        Scalar(_db, "SELECT identity_key FROM identities WHERE address = $k", address) is not byte[] known || identity.Serialized.SequenceEqual(known);

    public void SaveIdentity(string address, SignalPublicKey identity) =>
        Write("INSERT OR REPLACE INTO identities (address, identity_key) VALUES ($k, $v)", address, identity.Serialized.ToArray());

    public SessionRecord? LoadSession(string address) =>
        Scalar(_db, "SELECT sealed FROM sessions WHERE address = $k", address) is byte[] sealedValue
            ? SessionRecord.Deserialize(_box.Open($"sessions/{address}", sealedValue)) : null;

    public void StoreSession(string address, SessionRecord record) =>
        Write("INSERT OR REPLACE INTO sessions (address, sealed) VALUES ($k, $v)", address, _box.Seal($"sessions/{address}", record.Serialize()));

    public void StorePreKey(uint id, SignalKeyPair pair) =>
        Write("INSERT OR REPLACE INTO prekeys (id, sealed) VALUES ($k, $v)", (long)id, _box.Seal($"prekeys/{id}", pair.PrivateKey));

    public SignalKeyPair? LoadPreKey(uint id) =>
        Scalar(_db, "SELECT sealed FROM prekeys WHERE id = $k", (long)id) is byte[] sealedValue ? new SignalKeyPair(_box.Open($"prekeys/{id}", sealedValue)) : null;

    public void RemovePreKey(uint id) => Write("DELETE FROM prekeys WHERE id = $k", (long)id, null);

    public Signal.Groups.SenderKeyRecord? LoadSenderKey(string sender, Guid distributionId) =>
        Scalar(_db, "SELECT sealed FROM sender_keys WHERE name = $k", $"{sender}/{distributionId}") is byte[] sealedValue
            ? Signal.Groups.SenderKeyRecord.Deserialize(_box.Open($"sender_keys/{sender}/{distributionId}", sealedValue)) : null;

    public void StoreSenderKey(string sender, Guid distributionId, Signal.Groups.SenderKeyRecord record) =>
        Write("INSERT OR REPLACE INTO sender_keys (name, sealed) VALUES ($k, $v)", $"{sender}/{distributionId}",
            _box.Seal($"sender_keys/{sender}/{distributionId}", record.Serialize()));

    public void StoreSignedPreKey(uint id, SignalKeyPair pair) =>
        Write("INSERT OR REPLACE INTO signed_prekeys (id, sealed) VALUES ($k, $v)", (long)id, _box.Seal($"signed_prekeys/{id}", pair.PrivateKey));

    /// <summary>Deletes the signed prekeys with ids below <paramref name="id"/> (rotated out: forward secrecy for sessions started on them).</summary>
    public void RemoveSignedPreKeysBefore(uint id) => Write("DELETE FROM signed_prekeys WHERE id < $k", (long)id, null);

    public SignalKeyPair? LoadSignedPreKey(uint id) =>
        Scalar(_db, "SELECT sealed FROM signed_prekeys WHERE id = $k", (long)id) is byte[] sealedValue
            ? new SignalKeyPair(_box.Open($"signed_prekeys/{id}", sealedValue)) : null;

    /// <summary>A number the SDK keeps (next prekey id, the device list's generation); <paramref name="fallback"/> until set.</summary>
    public long GetNumber(string name, long fallback) =>
        Scalar(_db, "SELECT value FROM meta WHERE name = $k", "n/" + name) is byte[] value ? BitConverter.ToInt64(value) : fallback;

    public void SetNumber(string name, long value) =>
        Write("INSERT OR REPLACE INTO meta (name, value) VALUES ($k, $v)", "n/" + name, BitConverter.GetBytes(value));

    /// <summary>The last signed device list verified for <paramref name="user"/> (this account's own too); null if none was seen.</summary>
    public SignedDeviceList? LoadDeviceList(string user) =>
        Scalar(_db, "SELECT value FROM meta WHERE name = $k", "l/" + user) is byte[] value && value.Length > SignedDeviceList.SignatureLength
            ? new SignedDeviceList(value[..^SignedDeviceList.SignatureLength], value[^SignedDeviceList.SignatureLength..]) : null;

    /// <summary>Keeps a list the caller has verified (statement then signature).</summary>
    public void SaveDeviceList(string user, SignedDeviceList signed) =>
        Write("INSERT OR REPLACE INTO meta (name, value) VALUES ($k, $v)", "l/" + user, [.. signed.Statement, .. signed.Signature]);

    /// <summary>Bytes the SDK keeps by name (a group's last known membership); null until set.</summary>
    public byte[]? GetBlob(string name) => Scalar(_db, "SELECT value FROM meta WHERE name = $k", "b/" + name) as byte[];

    public void SetBlob(string name, byte[] value) => Write("INSERT OR REPLACE INTO meta (name, value) VALUES ($k, $v)", "b/" + name, value);

    /// <summary>The senders (device addresses) with held messages.</summary>
    public IReadOnlyList<string> HeldSenders()
    {
        lock (_db)
        {
            using var read = _db.CreateCommand();
            read.CommandText = "SELECT DISTINCT sender FROM held";
            using var rows = read.ExecuteReader();
            var senders = new List<string>();
            while (rows.Read()) senders.Add(rows.GetString(0));
            return senders;
        }
    }

    public ulong LastMessageId { get => (ulong)GetNumber("last_message_id", 0); set => SetNumber("last_message_id", (long)value); }

    public ulong GetLastSeen(string peer) => (ulong)GetNumber("seen/" + peer, 0);

    public void SetLastSeen(string peer, ulong messageId) => SetNumber("seen/" + peer, (long)messageId);

    /// <summary>Nothing to do: every write is durable when it returns.</summary>
    public void Save() { }

    /// <summary>Keeps a message that cannot be opened yet (its sender's identity changed and is not accepted) until <see cref="TakeHeld"/>.</summary>
    public void Hold(string sender, ulong messageId, byte[] payload)
    {
        lock (_db) HoldLocked(sender, messageId, payload);
    }

    private void HoldLocked(string sender, ulong messageId, byte[] payload)
    {
        using var command = _db.CreateCommand();
        command.CommandText = "INSERT INTO held (sender, message_id, payload) VALUES ($s, $m, $p)";
        command.Parameters.AddWithValue("$s", sender);
        command.Parameters.AddWithValue("$m", (long)messageId);
        command.Parameters.AddWithValue("$p", payload);
        command.ExecuteNonQuery();
    }

    /// <summary>The messages held from <paramref name="sender"/>, oldest first, removed from the store.</summary>
    public IReadOnlyList<(ulong MessageId, byte[] Payload)> TakeHeld(string sender)
    {
        lock (_db) return TakeHeldLocked(sender);
    }

    private List<(ulong MessageId, byte[] Payload)> TakeHeldLocked(string sender)
    {
        var held = new List<(ulong, byte[])>();
        using var tx = _db.BeginTransaction();
        using (var read = _db.CreateCommand())
        {
            read.CommandText = "SELECT message_id, payload FROM held WHERE sender = $s ORDER BY seq";
            read.Parameters.AddWithValue("$s", sender);
            using var rows = read.ExecuteReader();
            while (rows.Read()) held.Add(((ulong)rows.GetInt64(0), (byte[])rows.GetValue(1)));
        }
        using (var delete = _db.CreateCommand())
        {
            delete.CommandText = "DELETE FROM held WHERE sender = $s";
            delete.Parameters.AddWithValue("$s", sender);
            delete.ExecuteNonQuery();
        }
        tx.Commit();
        return held;
    }

    /// <summary>Forgets the identity trusted for <paramref name="address"/>: the next one seen is trusted (the user accepted a change).</summary>
    public void ForgetIdentity(string address) => Write("DELETE FROM identities WHERE address = $k", address, null);

    /// <summary>The identity key trusted for <paramref name="address"/>, if any.</summary>
    public byte[]? TrustedIdentity(string address) => Scalar(_db, "SELECT identity_key FROM identities WHERE address = $k", address) as byte[];

    public void Dispose()
    {
        lock (_db)
        {
            _box.Dispose();
            _db.Dispose();
        }
    }

    private static SqliteConnection Connect(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        Execute(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        Execute(db, HistorySchema); // added after schema 1: created where missing
        Execute(db, "CREATE TABLE IF NOT EXISTS sender_keys (name TEXT PRIMARY KEY, sealed BLOB NOT NULL);");
        return db;
    }

    private void Write(string sql, object key, byte[]? value)
    {
        lock (_db) WriteLocked(sql, key, value);
    }

    private void WriteLocked(string sql, object key, byte[]? value)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$k", key);
        if (value is not null) command.Parameters.AddWithValue("$v", value);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection db, string sql, object key)
    {
        lock (db)
        {
            using var command = db.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$k", key);
            return command.ExecuteScalar();
        }
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static void PutMeta(SqliteConnection db, string name, byte[] value)
    {
        using var command = db.CreateCommand();
        command.CommandText = "INSERT INTO meta (name, value) VALUES ($k, $v)";
        command.Parameters.AddWithValue("$k", name);
        command.Parameters.AddWithValue("$v", value);
        command.ExecuteNonQuery();
    }

    private static byte[] GetMeta(SqliteConnection db, string name) =>
        Scalar(db, "SELECT value FROM meta WHERE name = $k", name) as byte[] ?? throw new InvalidDataException($"the store has no {name}");

    private static void PutSecret(SqliteConnection db, SealedBox box, string name, ReadOnlySpan<byte> value)
    {
        using var command = db.CreateCommand();
        command.CommandText = "INSERT INTO secrets (name, sealed) VALUES ($k, $v)";
        command.Parameters.AddWithValue("$k", name);
        command.Parameters.AddWithValue("$v", box.Seal($"secrets/{name}", value));
        command.ExecuteNonQuery();
    }

    private static byte[] GetSecret(SqliteConnection db, SealedBox box, string name) =>
        box.Open($"secrets/{name}", Scalar(db, "SELECT sealed FROM secrets WHERE name = $k", name) as byte[] ?? throw new InvalidDataException($"the store has no {name}"));
}
