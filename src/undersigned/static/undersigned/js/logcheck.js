// Checking, in the browser, that a letter's issuance key is the one its public log published.
//
// The signing page must not blind a token under a key that only this visitor is shown: a server
// that gave each signer a key of their own could tell, at redemption, whose token it was. So the
// page takes the key from the log's genesis entry, proven to be entry 0 of a checkpoint signed by
// the log's key (C2SP signed note, Ed25519), and recomputes the TokenChallenge from the log's
// origin (the same rule as src/undersigned/crypto/anonymous.py). What a page served by the same
// server cannot prove is that everyone sees this log: the command-line client, with a pinned log
// key, is for signers who need that (docs/anonymous.md).

import { bytesEqual, concatBytes, subtle } from './primitives.js';
import { base64Decode, base64Encode } from './privacypass.js';

const PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
const DASH = '\u2014 ';
const CONTEXT_LABEL = new TextEncoder().encode('undersigned/token-context/v1\n');
const encoder = new TextEncoder();

export class LogCheckError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'LogCheckError';
  }
}

function need(ok, message) {
  if (!ok) throw new LogCheckError(message);
}

async function sha256(data) {
  return new Uint8Array(await subtle().digest('SHA-256', data));
}

function decode(text, what) {
  try {
    return base64Decode(text);
  } catch (error) {
    throw new LogCheckError(`${what} is not base64`, { cause: error });
  }
}

/** Parse a signed-note verifier key `name+hexid+base64(0x01 || Ed25519 key)` and check its id. */
export async function parseVkey(vkey) {
  // The key name cannot contain "+", but the base64 key after the second one can.
  const match = typeof vkey === 'string' ? /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey) : null;
  need(match !== null, 'the log key is not a vkey');
  const [, name, hexId, encoded] = match;
  const raw = decode(encoded, 'the log key');
  need(raw.length === 33 && raw[0] === 0x01, 'the log key is not an Ed25519 key');
  const publicKey = raw.slice(1);
  const digest = await sha256(concatBytes(encoder.encode(`${name}\n`), raw));
  const keyId = digest.slice(0, 4);
  const hex = Array.from(keyId, (b) => b.toString(16).padStart(2, '0')).join('');
  need(hex === hexId, 'the log key id does not match the key');
  return { name, keyId, publicKey };
}

/** Verify a checkpoint note signed by `vkey`; returns {origin, size, root}. */
export async function openCheckpoint(note, vkey) {
  const key = await parseVkey(vkey);
  const split = note.indexOf('\n\n');
  need(split > 0, 'the checkpoint is not a signed note');
  const text = note.slice(0, split + 1);
  const lines = text.split('\n');
  need(lines.length >= 4, 'the checkpoint is too short');
  const [origin, sizeLine, rootLine] = lines;
  need(/^(0|[1-9][0-9]{0,15})$/.test(sizeLine), 'the checkpoint size is not a number');
  const root = decode(rootLine, 'the checkpoint root');
  need(root.length === 32, 'the checkpoint root is not a SHA-256 hash');
  let verified = false;
  for (const line of note.slice(split + 2).split('\n')) {
    if (!line.startsWith(`${DASH}${key.name} `)) continue;
    const sig = decode(line.slice(DASH.length + key.name.length + 1), 'a checkpoint signature');
    if (sig.length !== 68 || !bytesEqual(sig.slice(0, 4), key.keyId)) continue;
    const publicKey = await subtle().importKey('raw', key.publicKey, { name: 'Ed25519' }, false, [
      'verify',
    ]);
    verified = await subtle().verify('Ed25519', publicKey, sig.slice(4), encoder.encode(text));
    if (verified) break;
  }
  need(verified, 'the checkpoint is not signed by the log key');
  need(origin === key.name, 'the checkpoint is for another log');
  return { origin, size: Number(sizeLine), root };
}

/** Parse a C2SP tlog-proof@v1 text into {extra, index, hashes, note}. */
export function parseProof(text) {
  const split = text.indexOf('\n\n');
  need(split > 0, 'the proof has no checkpoint');
  const lines = text.slice(0, split).split('\n');
  need(lines[0] === PROOF_HEADER, 'this is not a tlog-proof');
  let pos = 1;
  let extra = null;
  if (lines[pos]?.startsWith('extra ')) {
    extra = decode(lines[pos].slice(6), 'the proof entry');
    pos += 1;
  }
  const index = /^index (0|[1-9][0-9]{0,15})$/.exec(lines[pos] ?? '');
  need(index !== null, 'the proof has no index');
  const hashes = lines.slice(pos + 1).map((line) => decode(line, 'a proof hash'));
  need(
    hashes.every((h) => h.length === 32),
    'a proof hash is not 32 bytes',
  );
  return { extra, index: Number(index[1]), hashes, note: text.slice(split + 2) };
}

async function nodeHash(left, right) {
  return sha256(concatBytes(Uint8Array.of(0x01), left, right));
}

/** RFC 9162 section 2.1.3.2: the root an inclusion proof leads to. */
export async function rootFromInclusion(leaf, index, size, proof) {
  need(index < size, 'the proof index is outside the tree');
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    need(sn !== 0, 'the inclusion proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  need(sn === 0, 'the inclusion proof is too short');
  return r;
}

/** The TokenChallenge of the letter at `<host>/l/<slug>/` (crypto/anonymous.py). */
export async function letterChallenge(address) {
  const host = encoder.encode(address.split('/', 1)[0]);
  const context = await sha256(concatBytes(CONTEXT_LABEL, encoder.encode(address)));
  const u16 = (n) => Uint8Array.of(n >> 8, n & 0xff);
  return concatBytes(u16(0x0002), u16(host.length), host, Uint8Array.of(32), context,
    u16(host.length), host); // prettier-ignore
}

/**
 * From the tlog-proof of entry 0 and the log key: the issuance key (SPKI) and TokenChallenge
 * the log's genesis entry published, after checking the proof, the signature and the challenge.
 */
export async function genesisIssuer(proofText, vkey) {
  const proof = parseProof(proofText);
  need(proof.index === 0 && proof.extra !== null, 'the proof is not for the genesis entry');
  const checkpoint = await openCheckpoint(proof.note, vkey);
  const leaf = await sha256(concatBytes(Uint8Array.of(0x00), proof.extra));
  const root = await rootFromInclusion(leaf, 0, checkpoint.size, proof.hashes);
  need(bytesEqual(root, checkpoint.root), 'the genesis entry is not in the signed checkpoint');
  let genesis;
  try {
    genesis = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(proof.extra));
  } catch (error) {
    throw new LogCheckError('the genesis entry is not JSON', { cause: error });
  }
  need(genesis.type === 'letter', 'entry 0 is not the letter entry');
  need(typeof genesis.issuance_key === 'string', 'the log publishes no issuance key');
  need(checkpoint.origin.endsWith('/log'), 'the log origin does not name a letter');
  const expected = await letterChallenge(checkpoint.origin.slice(0, -'log'.length));
  need(
    genesis.token_challenge === base64Encode(expected),
    'the log published a token challenge that does not name this letter',
  );
  return {
    origin: checkpoint.origin,
    issuanceKey: decode(genesis.issuance_key, 'the issuance key'),
    tokenChallenge: expected,
  };
}
