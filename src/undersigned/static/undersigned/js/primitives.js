// Byte strings, BigInt arithmetic and WebCrypto access for the Privacy Pass client modules.
//
// BigInt operations are not constant time. On the client they only touch the blinding factor,
// fresh per token and kept in the page: a remote observer cannot time them, and code running
// inside the page could read the factor outright.

/** No crypto.subtle: the page is not a secure context. Not a BlindRsaError: the input is fine. */
export class WebCryptoUnavailableError extends Error {
  constructor() {
    super('WebCrypto is unavailable here: the page must be served over HTTPS (or from localhost)');
    this.name = 'WebCryptoUnavailableError';
  }
}

/** crypto.subtle, or a clear error instead of a TypeError nobody can act on. */
export function subtle() {
  const api = globalThis.crypto && globalThis.crypto.subtle;
  if (!api) throw new WebCryptoUnavailableError();
  return api;
}

export function randomBytes(length) {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** OS2IP: big-endian bytes to a non-negative BigInt. */
export function bytesToBigInt(bytes) {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex === '' ? 0n : BigInt('0x' + hex);
}

/** I2OSP: a non-negative BigInt to exactly `length` big-endian bytes. */
export function bigIntToBytes(x, length) {
  if (x < 0n) throw new RangeError('cannot encode a negative integer');
  const hex = x.toString(16);
  if (hex.length > 2 * length) throw new RangeError(`integer too large for ${length} bytes`);
  const padded = hex.padStart(2 * length, '0');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(padded.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bitLength(x) {
  return x === 0n ? 0 : x.toString(2).length;
}

export function modPow(base, exponent, modulus) {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/** The inverse of `a` mod `n`, or null when gcd(a, n) != 1. */
export function modInverse(a, n) {
  let [oldR, r] = [((a % n) + n) % n, n];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) return null;
  return ((oldS % n) + n) % n;
}

export function gcd(a, b) {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Uniform in [1, n) by rejection sampling; masking the top byte keeps acceptance above 1/2. */
export function randomBelow(n) {
  const length = Math.ceil(bitLength(n) / 8);
  const mask = 0xff >> (8 * length - bitLength(n));
  for (;;) {
    const bytes = randomBytes(length);
    bytes[0] &= mask;
    const candidate = bytesToBigInt(bytes);
    if (candidate >= 1n && candidate < n) return candidate;
  }
}

export function base64url(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
