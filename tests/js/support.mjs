// Shared by the Node tests: the published vectors (tests/crypto/vectors) and a stand-in issuer.
import { readFileSync } from 'node:fs';
import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  privateDecrypt,
  webcrypto,
} from 'node:crypto';

import { bytesToBigInt } from '../../src/undersigned/static/undersigned/js/primitives.js';

// Node 20 has WebCrypto at globalThis.crypto as browsers do; Debian 12's Node 18 needs this.
globalThis.crypto ??= webcrypto;

const VECTOR_DIR = new URL('../crypto/vectors/', import.meta.url);

function readVectors(name) {
  return JSON.parse(readFileSync(new URL(name, VECTOR_DIR), 'utf8'));
}

export const RFC9474 = readVectors('rfc9474-rsabssa.json');
export const RFC9578 = readVectors('rfc9578-token-type-0002.json').vectors;

export function hex(text) {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function toHex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

export function flip(bytes, index) {
  const copy = Uint8Array.from(bytes);
  copy[index] ^= 0x01;
  return copy;
}

/** A fresh RSA key (e = 65537): OpenSSL's private half and the public {n, e} as BigInts. */
export function generateKey(bits = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = publicKey.export({ format: 'jwk' });
  const toBigInt = (field) => bytesToBigInt(new Uint8Array(Buffer.from(field, 'base64url')));
  return { privateKey, publicKey, n: toBigInt(jwk.n), e: toBigInt(jwk.e) };
}

/** The issuer's raw RSA private operation (m^d mod n), done by OpenSSL as a stand-in server. */
export function rawSign(privateKey, blindedMsg) {
  const options = { key: privateKey, padding: constants.RSA_NO_PADDING };
  return new Uint8Array(privateDecrypt(options, blindedMsg));
}

export function vectorPrivateKey(vector) {
  return createPrivateKey(Buffer.from(vector.skS, 'hex').toString('ascii'));
}
