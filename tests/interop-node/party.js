// The other party of FastChat's end-to-end encryption tests: one Signal Protocol user built
// with libsignal (libsignal-node 6.0.0), driven by JSON lines on stdin, answering JSON lines on
// stdout. Binary values are base64. Every answer is {ok: true, ...} or {ok: false, error}.
//   {op:"bundle"}                               this user's identity, registration id, signed prekey and a one-time prekey
//   {op:"sign", message} / {op:"verify", key, message, signature}   curve25519 signatures (XEdDSA as libsignal makes them)
//   {op:"start", peer, bundle}                  a session with peer from its prekey bundle
//   {op:"encrypt", peer, plaintext}             -> {type: 3 (prekey) | 1, body}
//   {op:"decrypt", peer, type, body}            -> {plaintext}
//   {op:"fingerprint", iterations, localId, localKey, remoteId, remoteKey}   -> {displayable}: the safety
//                                               number of @signalapp/libsignal-client (libsignal's Rust core)
// Sender keys, with @signalapp/libsignal-client's group cipher (addresses are name + device 1):
//   {op:"group_distribution", me, distributionId}   -> {message}: SenderKeyDistributionMessage.create
//   {op:"group_process", sender, message}           processSenderKeyDistributionMessage
//   {op:"group_encrypt", me, distributionId, plaintext} -> {body}: groupEncrypt (a SenderKeyMessage)
//   {op:"group_decrypt", sender, body}               -> {plaintext}: groupDecrypt
//   {op:"group_forget", me, distributionId}          drops my own chain, so the next distribution makes a new one (rotation)
'use strict';

const readline = require('readline');
const libsignal = require('libsignal');
const curve = require('libsignal/src/curve');
const curveJs = require('curve25519-js');
const signalClient = require('@signalapp/libsignal-client');

const b64 = (buffer) => Buffer.from(buffer).toString('base64');
const bin = (text) => Buffer.from(text, 'base64');

const identity = libsignal.keyhelper.generateIdentityKeyPair();
const registrationId = libsignal.keyhelper.generateRegistrationId();
const signedPreKey = libsignal.keyhelper.generateSignedPreKey(identity, 1);
const preKeys = new Map();
let nextPreKeyId = 100;
const sessions = new Map();
const trusted = new Map();

const storage = {
    getOurIdentity: async () => identity,
    getOurRegistrationId: async () => registrationId,
    // Trust on first use, then only the same key: an identity change is refused.
    isTrustedIdentity: async (id, key) => {
        const known = trusted.get(id);
        if (!known) { trusted.set(id, Buffer.from(key)); return true; }
        return known.equals(Buffer.from(key));
    },
    loadSession: async (address) => sessions.get(address),
    storeSession: async (address, record) => { sessions.set(address, record); },
    loadPreKey: async (id) => preKeys.get(id),
    removePreKey: async (id) => { preKeys.delete(id); },
    loadSignedPreKey: async (id) => (id === signedPreKey.keyId ? signedPreKey.keyPair : undefined),
};

const address = (peer) => new libsignal.ProtocolAddress(peer, 1);

class MemorySenderKeyStore extends signalClient.SenderKeyStore {
    constructor() { super(); this.records = new Map(); }
    async saveSenderKey(sender, distributionId, record) { this.records.set(`${sender.toString()}/${distributionId}`, record.serialize()); }
    async getSenderKey(sender, distributionId) {
        const bytes = this.records.get(`${sender.toString()}/${distributionId}`);
        return bytes ? signalClient.SenderKeyRecord.deserialize(bytes) : null;
    }
}
const senderKeys = new MemorySenderKeyStore();
const groupAddress = (name) => signalClient.ProtocolAddress.new(name, 1);

const ops = {
    bundle: async () => {
        const preKey = libsignal.keyhelper.generatePreKey(nextPreKeyId++);
        preKeys.set(preKey.keyId, preKey.keyPair);
        return {
            identityKey: b64(identity.pubKey),
            registrationId,
            signedPreKey: { keyId: signedPreKey.keyId, publicKey: b64(signedPreKey.keyPair.pubKey), signature: b64(signedPreKey.signature) },
            preKey: { keyId: preKey.keyId, publicKey: b64(preKey.keyPair.pubKey) },
        };
    },
    sign: async (c) => ({ signature: b64(curve.calculateSignature(identity.privKey, bin(c.message))) }),
    // curve25519-js's own check, the one libsignal-node uses for signatures it does verify.
    verify: async (c) => ({ valid: curveJs.verify(bin(c.key).subarray(1), bin(c.message), bin(c.signature)) }),
    start: async (c) => {
        const b = c.bundle;
        await new libsignal.SessionBuilder(storage, address(c.peer)).initOutgoing({
            identityKey: bin(b.identityKey),
            registrationId: b.registrationId,
            signedPreKey: { keyId: b.signedPreKey.keyId, publicKey: bin(b.signedPreKey.publicKey), signature: bin(b.signedPreKey.signature) },
            preKey: b.preKey ? { keyId: b.preKey.keyId, publicKey: bin(b.preKey.publicKey) } : undefined,
        });
        return {};
    },
    encrypt: async (c) => {
        const out = await new libsignal.SessionCipher(storage, address(c.peer)).encrypt(bin(c.plaintext));
        return { type: out.type, body: b64(out.body) };
    },
    fingerprint: async (c) => {
        const fingerprint = signalClient.Fingerprint.new(c.iterations, 2,
            bin(c.localId), signalClient.PublicKey.deserialize(bin(c.localKey)),
            bin(c.remoteId), signalClient.PublicKey.deserialize(bin(c.remoteKey)));
        return { displayable: fingerprint.displayableFingerprint().toString() };
    },
    group_distribution: async (c) => {
        const message = await signalClient.SenderKeyDistributionMessage.create(groupAddress(c.me), c.distributionId, senderKeys);
        return { message: b64(message.serialize()) };
    },
    group_process: async (c) => {
        await signalClient.processSenderKeyDistributionMessage(groupAddress(c.sender), signalClient.SenderKeyDistributionMessage.deserialize(bin(c.message)), senderKeys);
        return {};
    },
    group_encrypt: async (c) => {
        const out = await signalClient.groupEncrypt(groupAddress(c.me), c.distributionId, senderKeys, bin(c.plaintext));
        return { type: out.type(), body: b64(out.serialize()) };
    },
    group_decrypt: async (c) => ({ plaintext: b64(await signalClient.groupDecrypt(groupAddress(c.sender), senderKeys, bin(c.body))) }),
    group_forget: async (c) => { senderKeys.records.delete(`${groupAddress(c.me).toString()}/${c.distributionId}`); return {}; },
    decrypt: async (c) => {
        const cipher = new libsignal.SessionCipher(storage, address(c.peer));
        const plaintext = c.type === 3 ? await cipher.decryptPreKeyWhisperMessage(bin(c.body)) : await cipher.decryptWhisperMessage(bin(c.body));
        return { plaintext: b64(plaintext) };
    },
};

// libsignal logs to the console; only our answers go to stdout.
console.log = console.warn = console.info = console.error = (...args) => process.stderr.write(args.join(' ') + '\n');

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
    queue = queue.then(async () => {
        let answer;
        try {
            const command = JSON.parse(line);
            const op = ops[command.op];
            if (!op) throw new Error(`unknown op ${command.op}`);
            answer = { ok: true, ...(await op(command)) };
        } catch (e) {
            answer = { ok: false, error: `${e.name}: ${e.message}` };
        }
        process.stdout.write(JSON.stringify(answer) + '\n');
    });
});
lines.on('close', () => queue.then(() => process.exit(0)));
