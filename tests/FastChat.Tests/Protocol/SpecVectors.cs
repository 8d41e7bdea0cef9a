using System.Text.Json.Nodes;
using FastChat.Protocol.Crypto;
using System.Buffers;
using FastChat.Protocol.Frames;
using FastChat.Protocol.Handshake;
using FastChat.Protocol.Noise;
using FastChat.Protocol.Wire;

namespace FastChat.Tests.Protocol;

/// <summary>
/// Builds the worked examples published in protocol-spec/vectors from our implementation with
/// fixed keys. The spec tests check the published files against this; set
/// FASTCHAT_WRITE_VECTORS=1 to rewrite them after a deliberate protocol change.
/// </summary>
public static class SpecVectors
{
    public const string ClientStatic = "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1";
    public const string ClientEphemeral = "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a";
    public const string ServerStatic = "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
    public const string ServerEphemeral = "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b";
    public const long FixedTimeMs = 1700000000000;

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static byte[] Framed(ReadOnlySpan<byte> message)
    {
        var framed = new byte[2 + message.Length];
        RecordFraming.WriteLength(framed, message.Length);
        message.CopyTo(framed.AsSpan(2));
        return framed;
    }

    public static JsonObject Handshake()
    {
        // Both ends are the Protocol's own driver, so the published bytes check it, preamble included.
        var serverHello = new ServerHello(1, "fastchat", ProtocolLimits.MaxRecordPlaintext, ProtocolLimits.MaxPayload, 30).Encode();
        var clientHello = new ClientHello("alice", "fastchat-dotnet/1").Encode();
        using var client = HandshakeDriver.CreateInitiator(Convert.FromHexString(ClientStatic), clientHello, fixedEphemeral: Convert.FromHexString(ClientEphemeral));
        using var server = HandshakeDriver.CreateResponder(Convert.FromHexString(ServerStatic), default, serverHello, fixedEphemeral: Convert.FromHexString(ServerEphemeral));
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        client.Start(toServer);
        var first = toServer.WrittenSpan.ToArray();                  // client preamble and message 1, one write
        var (clientPreamble, msg1) = (first[..8], first[10..]);
        var input = new ReadOnlySequence<byte>(first);
        server.Advance(ref input, toClient);
        var second = toClient.WrittenSpan.ToArray();                 // server preamble and message 2
        var (serverPreamble, msg2) = (second[..8], second[10..]);
        toServer.Clear();
        input = new ReadOnlySequence<byte>(second);
        client.Advance(ref input, toServer);
        var msg3 = toServer.WrittenSpan[2..].ToArray();
        input = new ReadOnlySequence<byte>(toServer.WrittenMemory);
        if (server.Advance(ref input, new ArrayBufferWriter<byte>()) != HandshakeProgress.Completed || !client.IsCompleted)
            throw new InvalidOperationException("the drivers did not complete the vector handshake");
        if (!client.HandshakeHash.SequenceEqual(server.HandshakeHash)) throw new InvalidOperationException("handshake hashes differ");
        var prologue = Preamble.BuildPrologue(clientPreamble, serverPreamble);
        var clientTransport = client.Split();
        var serverTransport = server.Split();

        var welcome = ControlFrames.Encode(new WelcomeBody(WelcomeState.Authenticated, "alice", FixedTimeMs, 0));
        var welcomeRecord = new byte[welcome.Length + 16];
        serverTransport.Encrypt(welcome, welcomeRecord);
        var send = new byte[MessageFrames.SendLength(3, 2)];
        MessageFrames.WriteSend(send, 1, "bob"u8, "hi"u8);
        var sendRecord = new byte[send.Length + 16];
        clientTransport.Encrypt(send, sendRecord);

        Span<byte> clientStaticPublic = stackalloc byte[32];
        Span<byte> serverStaticPublic = stackalloc byte[32];
        Sodium.X25519PublicKey(Convert.FromHexString(ClientStatic), clientStaticPublic);
        Sodium.X25519PublicKey(Convert.FromHexString(ServerStatic), serverStaticPublic);

        return new JsonObject
        {
            ["description"] = "A full FastChat v1 connection start with fixed keys: preamble, Noise_XX_25519_ChaChaPoly_BLAKE2b handshake, first records. Hex strings; 'wire' values include the 2-byte length prefix.",
            ["client_static_private"] = ClientStatic,
            ["client_static_public"] = Hex(clientStaticPublic),
            ["client_ephemeral_private"] = ClientEphemeral,
            ["server_static_private"] = ServerStatic,
            ["server_static_public"] = Hex(serverStaticPublic),
            ["server_ephemeral_private"] = ServerEphemeral,
            ["client_preamble"] = Hex(clientPreamble),
            ["server_preamble"] = Hex(serverPreamble),
            ["prologue"] = Hex(prologue),
            ["message1_payload"] = "",
            ["message1_wire"] = Hex(Framed(msg1)),
            ["message2_payload_server_hello"] = Hex(serverHello),
            ["message2_wire"] = Hex(Framed(msg2)),
            ["message3_payload_client_hello"] = Hex(clientHello),
            ["message3_wire"] = Hex(Framed(msg3)),
            ["handshake_hash"] = Hex(client.HandshakeHash),
            ["first_server_record_plaintext_welcome"] = Hex(welcome),
            ["first_server_record_wire"] = Hex(Framed(welcomeRecord)),
            ["first_client_record_plaintext_send"] = Hex(send),
            ["first_client_record_wire"] = Hex(Framed(sendRecord)),
        };
    }

    public static JsonObject Frames()
    {
        var frames = new JsonObject();
        void Add(string name, string explanation, byte[] frame) =>
            frames[name] = new JsonObject { ["explanation"] = explanation, ["hex"] = Hex(frame) };
        byte[] U64(FrameType type, ulong value) { var f = new byte[12]; MessageFrames.WriteU64(f, type, value); return f; }

        Add("ping", "PING token 0x0102030405060708", U64(FrameType.Ping, 0x0102030405060708));
        Add("pong", "PONG echoing that token", U64(FrameType.Pong, 0x0102030405060708));
        var send = new byte[MessageFrames.SendLength(3, 2)];
        MessageFrames.WriteSend(send, 1795804080111000, "bob"u8, "hi"u8);
        Add("send", "SEND msg_id 1795804080111000 to 'bob', payload 'hi'", send);
        Add("server_ack", "SERVER_ACK up to msg_id 1795804080111000", U64(FrameType.ServerAck, 1795804080111000));
        var deliver = new byte[MessageFrames.DeliverLength(5, 2)];
        MessageFrames.WriteDeliver(deliver, 0, DeliveryKind.Message, 1795804080111000, FixedTimeMs, "alice"u8, "hi"u8);
        Add("deliver_message", "DELIVER seq 0, kind 1 (message), msg_id 1795804080111000, time 1700000000000, from 'alice', payload 'hi'", deliver);
        var receipt = new byte[MessageFrames.DeliverLength(3, 0)];
        MessageFrames.WriteDeliver(receipt, 7, DeliveryKind.DeliveredReceipt, 1795804080111000, FixedTimeMs, "bob"u8, default);
        Add("deliver_delivered_receipt", "DELIVER seq 7, kind 2 (delivered receipt): 'bob' has every message up to 1795804080111000", receipt);
        Add("delivery_ack", "DELIVERY_ACK up to seq 7", U64(FrameType.DeliveryAck, 7));
        var read = new byte[MessageFrames.ReadLength(5)];
        MessageFrames.WriteRead(read, 1795804080222000, "alice"u8, 1795804080111000);
        Add("read", "READ msg_id 1795804080222000: tell 'alice' her messages up to 1795804080111000 were read", read);
        Add("welcome", "WELCOME [1 authenticated, 'alice', server time 1700000000000, 0 queued]",
            ControlFrames.Encode(new WelcomeBody(WelcomeState.Authenticated, "alice", FixedTimeMs, 0)));
        Add("register_request_code", "REGISTER [nil]: send me a code", ControlFrames.Encode(new RegisterBody(null)));
        Add("register_with_code", "REGISTER ['12345678']", ControlFrames.Encode(new RegisterBody("12345678")));
        Add("register_result", "REGISTER_RESULT [0 registered, 'registered']", ControlFrames.Encode(new RegisterResultBody(RegisterStatus.Registered, "registered")));
        Add("redirect", "REDIRECT ['127.0.0.2', 5222, epoch 42, server key 0x11 x 32]: this user's home is 127.0.0.2:5222",
            ControlFrames.Encode(new RedirectBody("127.0.0.2", 5222, 42, Enumerable.Repeat((byte)0x11, 32).ToArray())));
        Add("disconnect_redirect", "DISCONNECT [25 redirect, 'your home server is 127.0.0.2:5222'] (always right after REDIRECT)",
            ControlFrames.Encode(new DisconnectBody(ErrorCode.Redirect, "your home server is 127.0.0.2:5222")));
        Add("error", "ERROR [13 unknown_recipient, ref msg_id 9, 'no such user']", ControlFrames.Encode(new ErrorBody(ErrorCode.UnknownRecipient, 9, "no such user")));
        Add("disconnect", "DISCONNECT [18 idle_timeout, 'no traffic within the idle timeout']", ControlFrames.Encode(new DisconnectBody(ErrorCode.IdleTimeout, "no traffic within the idle timeout")));
        return new JsonObject { ["description"] = "Every FastChat v1 frame type, header included (type, flags, length big-endian, body).", ["frames"] = frames };
    }

    /// <summary>
    /// The prekey directory's frames (protocol-spec/12-prekeys.md) with fixed keys: the identity is
    /// e2e.json's alice, and the signature is XEdDSA's deterministic one, so anyone can check it.
    /// </summary>
    /// <summary>e2e.json's alice: identity private key 0x01..0x20.</summary>
    private static FastChat.Signal.Curve.SignalKeyPair AliceIdentity() => new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private static void AddControlFrame(JsonObject frames, string name, string explanation, IControlBody body) =>
        frames[name] = new JsonObject { ["explanation"] = explanation, ["hex"] = Hex(ControlFrames.Encode(body)) };

    public static JsonObject Prekeys()
    {
        var frames = new JsonObject();
        void Add(string name, string explanation, IControlBody body) => AddControlFrame(frames, name, explanation, body);
        var identity = AliceIdentity();
        var signedPair = new FastChat.Signal.Curve.SignalKeyPair(Enumerable.Repeat((byte)0x22, 32).ToArray());
        var oneTimePair = new FastChat.Signal.Curve.SignalKeyPair(Enumerable.Repeat((byte)0x33, 32).ToArray());
        var identityKey = identity.PublicKey.Serialized.ToArray();
        var signed = new SignedPrekey(1, signedPair.PublicKey.Serialized.ToArray(), identity.Sign(signedPair.PublicKey.Serialized));
        var oneTime = new OneTimePrekey(100, oneTimePair.PublicKey.Serialized.ToArray());

        Add("prekey_upload", "PREKEY_UPLOAD [request 7, registration id 1234, identity key, signed prekey [1, key, signature], one-time prekeys [[100, key]]]",
            new PrekeyUploadBody(7, 1234, identityKey, signed, [oneTime]));
        Add("prekey_upload_top_up", "PREKEY_UPLOAD [request 8, registration id 1234, identity key, nil (keep the signed prekey), [[100, key]]]",
            new PrekeyUploadBody(8, 1234, identityKey, null, [oneTime]));
        Add("prekey_status", "PREKEY_STATUS [request 7, 0 stored, stock 1, low water 20, signed prekey 1, age 0 s, 'stored']",
            new PrekeyStatusBody(7, PrekeyStatusCode.Stored, 1, 20, 1, 0, "stored"));
        Add("prekey_status_notice", "PREKEY_STATUS [request 0 (a notice), 0, stock 19, low water 20, signed prekey 1, age 3600 s, 'one-time prekeys are running low']",
            new PrekeyStatusBody(0, PrekeyStatusCode.Stored, 19, 20, 1, 3600, "one-time prekeys are running low"));
        Add("prekey_fetch", "PREKEY_FETCH [request 9, 'alice']", new PrekeyFetchBody(9, "alice"));
        Add("prekey_bundles", "PREKEY_BUNDLES [request 9, 0 found, 'alice', [[device 1, registration id 1234, identity key, signed prekey, one-time prekey 100]], retry after 0, nil (no device list)]",
            new PrekeyBundlesBody(9, PrekeyFetchStatus.Found, "alice", [new DevicePrekeyBundle(1, 1234, identityKey, signed, oneTime)], 0));
        Add("prekey_bundles_rate_limited", "PREKEY_BUNDLES [request 10, 3 rate_limited, 'alice', [], retry after 3000 ms, nil]",
            new PrekeyBundlesBody(10, PrekeyFetchStatus.RateLimited, "alice", [], 3000));
        return new JsonObject
        {
            ["description"] = "The prekey directory's frames, header included. Keys: identity private key 0x01..0x20 (e2e.json's alice), signed prekey private key 0x22 x 32, one-time prekey private key 0x33 x 32; the signature is XEdDSA with the deterministic nonce of 11-end-to-end.md.",
            ["frames"] = frames,
        };
    }

    /// <summary>The signed device list (13-devices.md): alice's primary (e2e.json's alice identity) and a laptop.</summary>
    public static JsonObject Devices()
    {
        var frames = new JsonObject();
        void Add(string name, string explanation, IControlBody body) => AddControlFrame(frames, name, explanation, body);
        var identity = AliceIdentity();
        var laptopIdentity = new FastChat.Signal.Curve.SignalKeyPair(Enumerable.Repeat((byte)0x43, 32).ToArray());
        byte[] NoiseKey(byte fill)
        {
            var key = new byte[32];
            FastChat.Protocol.Crypto.Sodium.X25519PublicKey(Enumerable.Repeat(fill, 32).ToArray(), key);
            return key;
        }
        var list = new DeviceList("alice", 2, 1_767_225_600_000, [
            new DeviceEntry(1, NoiseKey(0x41), identity.PublicKey.Serialized.ToArray()),
            new DeviceEntry(2, NoiseKey(0x42), laptopIdentity.PublicKey.Serialized.ToArray())]);
        var statement = list.Encode();
        var signed = new SignedDeviceList(statement, identity.Sign(statement));

        Add("device_list_publish", "DEVICE_LIST_PUBLISH [request 11, [statement, signature]]", new DeviceListPublishBody(11, signed));
        Add("device_list_status", "DEVICE_LIST_STATUS [request 11, 0 stored, generation 2, 'stored']",
            new DeviceListStatusBody(11, DeviceListStatusCode.Stored, 2, "stored"));
        Add("device_list_status_stale", "DEVICE_LIST_STATUS [request 12, 2 stale_generation, generation 2, 'the generation must be above 2']",
            new DeviceListStatusBody(12, DeviceListStatusCode.StaleGeneration, 2, "the generation must be above 2"));
        Add("prekey_bundles_with_list", "PREKEY_BUNDLES [request 13, 2 no_prekeys, 'alice', [], retry after 0, [statement, signature]]",
            new PrekeyBundlesBody(13, PrekeyFetchStatus.NoPrekeys, "alice", [], 0, signed));

        // Linking the laptop, then sending to both devices and writing from the laptop.
        var laptopNoise = NoiseKey(0x42);
        var laptopIdentityKey = laptopIdentity.PublicKey.Serialized.ToArray();
        frames["client_hello_link"] = new JsonObject
        {
            ["explanation"] = "ClientHello (the handshake's message 3 payload, no frame header) ['alice', 'fastchat-dotnet/1', link identity key]: the laptop asks to be linked",
            ["hex"] = Hex(new ClientHello("alice", "fastchat-dotnet/1", laptopIdentityKey).Encode()),
        };
        Add("welcome_link_pending", "WELCOME [3 link_pending, 'alice', server time 1700000000000, 0 queued]", new WelcomeBody(WelcomeState.LinkPending, "alice", FixedTimeMs, 0));
        Add("link_query", "LINK_QUERY [request 14]", new LinkQueryBody(14));
        Add("link_requests", "LINK_REQUESTS [request 14, [[laptop noise key, laptop identity key, requested at 1700000000000]]]",
            new LinkRequestsBody(14, [new LinkRequest(laptopNoise, laptopIdentityKey, FixedTimeMs)]));
        Add("link_done", "LINK_DONE [device 2, generation 2]", new LinkDoneBody(2, 2));
        Add("welcome_device_2", "WELCOME [1 authenticated, 'alice', server time 1700000000000, 0 queued, device 2]",
            new WelcomeBody(WelcomeState.Authenticated, "alice", FixedTimeMs, 0, 2));
        IReadOnlyList<(byte, byte[])> copies = [(1, "c1"u8.ToArray()), (2, "c2"u8.ToArray())];
        var sendDevices = new byte[DeviceCopyFrames.SendDevicesLength(5, copies)];
        DeviceCopyFrames.WriteSendDevices(sendDevices, 1795804080333000, "alice"u8, 2, copies);
        frames["send_devices"] = new JsonObject
        {
            ["explanation"] = "SEND_DEVICES msg_id 1795804080333000 to 'alice', generation 2, copies: device 1 'c1', device 2 'c2'",
            ["hex"] = Hex(sendDevices),
        };
        var fromLaptop = new byte[MessageFrames.DeliverLength(7, 2)];
        MessageFrames.WriteDeliver(fromLaptop, 3, DeliveryKind.Message, 1795804080444000, FixedTimeMs, "alice/2"u8, "hi"u8);
        frames["deliver_from_device_2"] = new JsonObject
        {
            ["explanation"] = "DELIVER seq 3, kind 1 (message), msg_id 1795804080444000, time 1700000000000, from 'alice/2' (her laptop), payload 'hi'",
            ["hex"] = Hex(fromLaptop),
        };
        Add("error_stale_devices", "ERROR [27 stale_devices, ref msg_id 1795804080333000, 'alice's devices changed: fetch their bundles (PREKEY_FETCH) and send again']",
            new ErrorBody(ErrorCode.StaleDevices, 1795804080333000, "alice's devices changed: fetch their bundles (PREKEY_FETCH) and send again"));
        Add("disconnect_device_removed", "DISCONNECT [28 device_removed, 'this device was removed from the account']",
            new DisconnectBody(ErrorCode.DeviceRemoved, "this device was removed from the account"));
        return new JsonObject
        {
            ["description"] = "A signed device list and its frames, header included. alice's primary: Noise private key 0x41 x 32, identity private key 0x01..0x20 (the account key); her laptop (device 2): Noise private key 0x42 x 32, identity private key 0x43 x 32. Generation 2, issued 2026-01-01T00:00:00Z. The signature is XEdDSA with the deterministic nonce of 11-end-to-end.md over the statement's bytes.",
            ["statement"] = Hex(statement),
            ["signature"] = Hex(signed.Signature),
            ["account_key"] = Hex(identity.PublicKey.Serialized.ToArray()),
            ["link_code"] = FastChat.Protocol.Crypto.LinkCode.Format(FastChat.Protocol.Crypto.LinkCode.Compute("alice", NoiseKey(0x42), laptopIdentity.PublicKey.Serialized.ToArray())),
            ["frames"] = frames,
        };
    }

    /// <summary>Group membership frames (14-groups.md), group id 00 01 … 0f.</summary>
    public static JsonObject Groups()
    {
        var frames = new JsonObject();
        void Add(string name, string explanation, IControlBody body) => AddControlFrame(frames, name, explanation, body);
        var group = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        Add("group_change_create", "GROUP_CHANGE [request 21, 1 create, group id, 'weekend', ['bob', 'carol']]",
            new GroupChangeBody(21, GroupOp.Create, group, "weekend", ["bob", "carol"]));
        Add("group_result_done", "GROUP_RESULT [request 21, 0 done, version 1, 'done']", new GroupResultBody(21, GroupStatusCode.Done, 1, "done"));
        Add("group_change_remove", "GROUP_CHANGE [request 22, 3 remove, group id, nil, ['carol']]", new GroupChangeBody(22, GroupOp.Remove, group, null, ["carol"]));
        Add("group_result_not_admin", "GROUP_RESULT [request 23, 3 not_admin, version 2, 'only the group's admins may do that']",
            new GroupResultBody(23, GroupStatusCode.NotAdmin, 2, "only the group's admins may do that"));
        Add("group_query", "GROUP_QUERY [request 24, group id]", new GroupQueryBody(24, group));
        GroupMember[] after = [new("alice", true), new("bob", false)];
        Add("group_state", "GROUP_STATE [request 24, 0 done, group id, version 2, 'weekend', [['alice', true], ['bob', false]]]",
            new GroupStateBody(24, GroupStatusCode.Done, group, 2, "weekend", after));
        var removal = new GroupEvent(group, 2, GroupOp.Remove, ["carol"], "weekend", after).Encode();
        var deliver = new byte[MessageFrames.DeliverLength(5, removal.Length)];
        MessageFrames.WriteDeliver(deliver, 9, DeliveryKind.GroupChange, 2, FixedTimeMs, "alice"u8, removal);
        frames["deliver_group_change"] = new JsonObject
        {
            ["explanation"] = "DELIVER seq 9, kind 5 (group_change), msg_id 2 (the version), time 1700000000000, from 'alice', payload GroupEvent [group id, 2, 3 remove, ['carol'], 'weekend', [['alice', true], ['bob', false]]]",
            ["hex"] = Hex(deliver),
        };
        var groupSend = new byte[GroupSendFrames.Length(2)];
        GroupSendFrames.Write(groupSend, 1795804080555000, group, "hi"u8);
        frames["group_send"] = new JsonObject { ["explanation"] = "GROUP_SEND msg_id 1795804080555000, group id, payload 'hi'", ["hex"] = Hex(groupSend) };
        var groupMessage = new byte[MessageFrames.DeliverLength(3, 18)];
        MessageFrames.WriteDeliver(groupMessage, 10, DeliveryKind.GroupMessage, 1795804080555000, FixedTimeMs, "bob"u8, [.. group, .. "hi"u8.ToArray()]);
        frames["deliver_group_message"] = new JsonObject
        {
            ["explanation"] = "DELIVER seq 10, kind 6 (group_message), msg_id 1795804080555000, time 1700000000000, from 'bob', payload group id then 'hi'",
            ["hex"] = Hex(groupMessage),
        };
        return new JsonObject
        {
            ["description"] = "Group membership frames, header included; the group id is the bytes 00 01 ... 0f, its address #000102030405060708090a0b0c0d0e0f.",
            ["group_address"] = GroupAddress.Of(group),
            ["frames"] = frames,
        };
    }

    /// <summary>Presence and typing frames (15-presence.md).</summary>
    public static JsonObject Presence()
    {
        var frames = new JsonObject();
        void Add(string name, string explanation, IControlBody body) => AddControlFrame(frames, name, explanation, body);
        Add("presence_subscribe", "PRESENCE_SUBSCRIBE [request 31, ['alice', 'carol']]", new PresenceSubscribeBody(31, ["alice", "carol"]));
        Add("presence_result_done", "PRESENCE_RESULT [request 31, 0 done, '']", new PresenceResultBody(31, PresenceStatusCode.Done, ""));
        Add("presence_online", "PRESENCE ['alice', 1 online, 0]", new PresenceBody("alice", PresenceState.Online, 0));
        Add("presence_offline", "PRESENCE ['alice', 0 offline, last seen 1700000000000]", new PresenceBody("alice", PresenceState.Offline, FixedTimeMs));
        Add("presence_hidden", "PRESENCE ['carol', 2 hidden, 0]", new PresenceBody("carol", PresenceState.Hidden, 0));
        Add("presence_settings", "PRESENCE_SETTINGS [request 32, 1 contacts, ['bob']]", new PresenceSettingsBody(32, PresenceVisibility.Contacts, ["bob"]));
        Add("presence_result_too_many", "PRESENCE_RESULT [request 33, 1 too_many, 'a connection watches at most 256 accounts']",
            new PresenceResultBody(33, PresenceStatusCode.TooMany, "a connection watches at most 256 accounts"));
        var typing = new byte[ProtocolLimits.FrameHeaderLength + 5];
        TypingFrames.WriteTyping(typing, "bob"u8, true);
        frames["typing"] = new JsonObject { ["explanation"] = "TYPING to 'bob', 1 typing", ["hex"] = Hex(typing) };
        var notice = new byte[TypingFrames.MaxNoticeLength];
        int n = TypingFrames.WriteNotice(notice, "alice/2"u8, "bob"u8, false);
        frames["typing_notice"] = new JsonObject { ["explanation"] = "TYPING_NOTICE from 'alice/2', context 'bob' (a direct chat), 0 stopped", ["hex"] = Hex(notice[..n]) };
        var group = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var groupTyping = new byte[TypingFrames.MaxNoticeLength];
        int g = TypingFrames.WriteTyping(groupTyping, System.Text.Encoding.ASCII.GetBytes(GroupAddress.Of(group)), true);
        frames["typing_group"] = new JsonObject { ["explanation"] = "TYPING to the group #000102030405060708090a0b0c0d0e0f, 1 typing", ["hex"] = Hex(groupTyping[..g]) };
        return new JsonObject
        {
            ["description"] = "Presence and typing frames, header included.",
            ["frames"] = frames,
        };
    }

    /// <summary>Media frames, the file encryption and the pointer (16-media.md).</summary>
    public static JsonObject Media()
    {
        var frames = new JsonObject();
        void Add(string name, string explanation, IControlBody body) => AddControlFrame(frames, name, explanation, body);
        var digest = Enumerable.Range(0, 32).Select(i => (byte)(0xa0 + i % 16)).ToArray();
        Add("media_upload_request", "MEDIA_UPLOAD_REQUEST [request 41, size 1048586, sha256 a0 a1 ... af a0 ... af]", new MediaUploadRequestBody(41, 1048586, digest));
        Add("media_ticket_upload", "MEDIA_TICKET [request 41, 0 upload, upload URL, download URL, offset 0, expires 1700003600000, cert pin 32 x 0x5c, '']",
            new MediaTicketBody(41, MediaStatusCode.Upload, "https://127.0.0.1:8222/v1/upload/ab?u=alice&n=1048586&e=1700003600000&s=SIG",
                "https://127.0.0.1:8222/v1/blob/ab?e=1702592000000&s=SIG", 0, 1700003600000, Enumerable.Repeat((byte)0x5c, 32).ToArray(), ""));
        Add("media_ticket_quota", "MEDIA_TICKET [request 42, 3 quota_exceeded, '', '', 0, 0, empty, 'at most 1073741824 bytes a day']",
            new MediaTicketBody(42, MediaStatusCode.QuotaExceeded, "", "", 0, 0, [], "at most 1073741824 bytes a day"));
        // The file encryption, with a fixed media key (real ones are random): 'hello media' under key 00 01 ... 1f.
        var mediaKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var expanded = System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, mediaKey, 112, [], "FastChat Media Keys"u8.ToArray());
        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = expanded[16..48];
        var ciphertext = aes.EncryptCbc("hello media"u8, expanded[..16]);
        var mac = System.Security.Cryptography.HMACSHA256.HashData(expanded[48..80], (byte[])[.. expanded[..16], .. ciphertext])[..10];
        byte[] upload = [.. ciphertext, .. mac];
        return new JsonObject
        {
            ["description"] = "Media frames, header included, and one file encrypted with a fixed media key (00 01 ... 1f) to show the construction.",
            ["media_key"] = Hex(mediaKey),
            ["expanded_keys"] = Hex(expanded),
            ["plaintext"] = Hex("hello media"u8.ToArray()),
            ["upload"] = Hex(upload),
            ["upload_sha256"] = Hex(System.Security.Cryptography.SHA256.HashData(upload)),
            ["frames"] = frames,
        };
    }

    /// <summary>The E2E payload of a SEND and the plaintext envelope inside it (11-end-to-end.md).</summary>
    public static JsonObject Envelope()
    {
        var envelope = new FastChat.Client.Encryption.PlaintextEnvelope(FastChat.Client.Encryption.EnvelopeKind.Text, 1_767_225_600_000, "hi bob"u8.ToArray());
        return new JsonObject
        {
            ["description"] = "The plaintext envelope of the text 'hi bob' sent at 2026-01-01T00:00:00Z: version 1, kind 1 (text), sent ms, the UTF-8 body, 0x80, zeros to 160 bytes. It is what SessionCipher.encrypt takes; the SEND payload is 0xE2, the libsignal message type, and the message bytes.",
            ["envelope_text"] = new JsonObject { ["explanation"] = "envelope of 'hi bob' at 1767225600000 ms", ["hex"] = Hex(envelope.Encode()) },
        };
    }
}
