// RSA blind signatures, client side (RFC 9474, RSABSSA with SHA-384), for browsers and Node 20.
//
// The mirror of src/undersigned/crypto/blindrsa.py: `prepare`, `blind` and `finalize` run in the
// signer's browser, the server only ever sees the blinded message. Modular arithmetic uses BigInt
// (the client needs only public-key operations); hashing, randomness and the final RSASSA-PSS
// verification use WebCrypto.
//
// The `msgPrefix`, `salt` and `blindFactor` options exist only so that the tests can reproduce
// the published vectors. Production callers leave them out: RFC 9474 section 7.4 warns that
// caller-chosen values can smuggle a tracking tag past the blinding.

import {
  base64url,
  bigIntToBytes,
  bitLength,
  bytesEqual,
  bytesToBigInt,
  concatBytes,
  gcd,
  hexToBytes,
  modInverse,
  modPow,
  randomBelow,
  randomBytes,
  subtle,
} from './primitives.js';

export {
  WebCryptoUnavailableError,
  bigIntToBytes,
  bytesToBigInt,
  modInverse,
} from './primitives.js';

export const HASH_LEN = 48; // SHA-384
export const PREFIX_LEN = 32; // RFC 9474 section 4.1, PrepareRandomize
export const MIN_MODULUS_BITS = 2048;
// Room for a 16384-bit key, WebCrypto's usual ceiling; refusing more up front keeps a hostile key
// from costing seconds of BigInt work before it is rejected.
const MAX_SPKI_BYTES = 2200;

/** Every failure raised by this module. */
export class BlindRsaError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'BlindRsaError';
  }
}

/** The signature does not verify: wrong key, tampered response or mismatched blinding state. */
export class InvalidSignatureError extends BlindRsaError {
  constructor(message, options) {
    super(message, options);
    this.name = 'InvalidSignatureError';
  }
}

function toBytes(data, what) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new BlindRsaError(`${what} must be a Uint8Array`);
}

// --- DER: exactly the RSASSA-PSS SubjectPublicKeyInfo the server publishes --------------------

// AlgorithmIdentifier { id-RSASSA-PSS, { sha384, mgf1(sha384), saltLength } } up to the salt,
// byte for byte as tokens.encode_issuer_public_key and the RFC 9578 vectors write it.
const PSS_ALGORITHM_PREFIX = hexToBytes(
  '303d06092a864886f70d01010a3030a00d300b0609608648016503040202' +
    'a11a301806092a864886f70d010108300b0609608648016503040202a2030201',
);

function derLength(n) {
  if (n < 0x80) return Uint8Array.of(n);
  const body = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) body.unshift(rest % 256);
  return Uint8Array.of(0x80 | body.length, ...body);
}

function derTlv(tag, content) {
  return concatBytes(Uint8Array.of(tag), derLength(content.length), content);
}

function derInteger(x) {
  const length = Math.max(1, Math.ceil(bitLength(x) / 8));
  let body = bigIntToBytes(x, length);
  if (body[0] & 0x80) body = concatBytes(Uint8Array.of(0), body); // stays positive
  return derTlv(0x02, body);
}

/** DER SPKI with the id-RSASSA-PSS OID and SHA-384 parameters (RFC 9474 section 6). */
export function encodeRsaPssSpki(n, e, saltLength) {
  if (!Number.isInteger(saltLength) || saltLength < 0 || saltLength > 0x7f) {
    throw new BlindRsaError(`unsupported PSS salt length ${saltLength}`);
  }
  const rsaPublicKey = derTlv(0x30, concatBytes(derInteger(n), derInteger(e)));
  const bitString = derTlv(0x03, concatBytes(Uint8Array.of(0), rsaPublicKey));
  const algorithm = concatBytes(PSS_ALGORITHM_PREFIX, Uint8Array.of(saltLength));
  return derTlv(0x30, concatBytes(algorithm, bitString));
}

// One TLV with a low tag number and a definite, minimally encoded length inside [pos, end).
function readTlv(bytes, pos, end, tag, what) {
  const fail = (why) => {
    throw new BlindRsaError(`issuer key is not valid DER: ${what} ${why}`);
  };
  if (pos + 2 > end) fail('is truncated');
  if (bytes[pos] !== tag) {
    fail(`has tag 0x${bytes[pos].toString(16)}, expected 0x${tag.toString(16)}`);
  }
  let length = bytes[pos + 1];
  let start = pos + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3) fail('has an unsupported length encoding');
    if (start + count > end) fail('is truncated');
    if (bytes[start] === 0) fail('has a non-minimal length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
    if (length < 0x80) fail('has a non-minimal length');
    start += count;
  }
  if (start + length > end) fail('is truncated');
  return { start, end: start + length };
}

function readPositiveInteger(bytes, pos, end, what) {
  const tlv = readTlv(bytes, pos, end, 0x02, what);
  const body = bytes.subarray(tlv.start, tlv.end);
  if (body.length === 0) throw new BlindRsaError(`issuer key is not valid DER: empty ${what}`);
  if (body[0] & 0x80) throw new BlindRsaError(`issuer key has a negative ${what}`);
  if (body.length > 1 && body[0] === 0 && !(body[1] & 0x80)) {
    throw new BlindRsaError(`issuer key is not valid DER: ${what} has a leading zero`);
  }
  return { value: bytesToBigInt(body), end: tlv.end };
}

/**
 * Strictly parse an RSASSA-PSS SPKI (SHA-384, MGF1-SHA-384) into {n, e, saltLength}.
 * An rsaEncryption key, other PSS parameters, non-canonical DER or trailing bytes all throw.
 */
export function parseRsaPssSpki(spki) {
  const bytes = toBytes(spki, 'issuer key');
  if (bytes.length > MAX_SPKI_BYTES) {
    throw new BlindRsaError(`issuer key is ${bytes.length} bytes; at most ${MAX_SPKI_BYTES} fit`);
  }
  const outer = readTlv(bytes, 0, bytes.length, 0x30, 'SubjectPublicKeyInfo');
  if (outer.end !== bytes.length) {
    throw new BlindRsaError('issuer key has trailing bytes after the SubjectPublicKeyInfo');
  }
  const algorithmLength = PSS_ALGORITHM_PREFIX.length + 1;
  const algorithm = bytes.subarray(outer.start, outer.start + algorithmLength);
  if (
    algorithm.length !== algorithmLength ||
    !bytesEqual(algorithm.subarray(0, -1), PSS_ALGORITHM_PREFIX)
  ) {
    throw new BlindRsaError(
      'issuer key must use id-RSASSA-PSS with SHA-384, MGF1-SHA-384 and an explicit salt length',
    );
  }
  const saltLength = algorithm[algorithmLength - 1];
  if (saltLength & 0x80) throw new BlindRsaError('issuer key has a negative PSS salt length');
  const bitString = readTlv(bytes, outer.start + algorithmLength, outer.end, 0x03, 'key bits');
  if (bitString.end !== outer.end || bytes[bitString.start] !== 0) {
    throw new BlindRsaError('issuer key is not valid DER: malformed subjectPublicKey');
  }
  const rsaKey = readTlv(bytes, bitString.start + 1, bitString.end, 0x30, 'RSAPublicKey');
  if (rsaKey.end !== bitString.end) {
    throw new BlindRsaError('issuer key has trailing bytes after the RSAPublicKey');
  }
  const n = readPositiveInteger(bytes, rsaKey.start, rsaKey.end, 'modulus');
  const e = readPositiveInteger(bytes, n.end, rsaKey.end, 'public exponent');
  if (e.end !== rsaKey.end) throw new BlindRsaError('issuer key has extra RSAPublicKey fields');
  checkPublic(n.value, e.value);
  // Any encoding freedom left would change token_key_id, so insist on the one canonical form.
  if (!bytesEqual(encodeRsaPssSpki(n.value, e.value, saltLength), bytes)) {
    throw new BlindRsaError('issuer key is not in canonical DER form');
  }
  return { n: n.value, e: e.value, saltLength };
}

function checkPublic(n, e) {
  if (bitLength(n) < MIN_MODULUS_BITS) {
    throw new BlindRsaError(
      `RSA modulus has ${bitLength(n)} bits; at least ${MIN_MODULUS_BITS} are required`,
    );
  }
  if (n % 2n === 0n) throw new BlindRsaError('RSA modulus is even');
  if (e < 3n || e % 2n === 0n || e >= n) {
    throw new BlindRsaError(`RSA public exponent ${e} is not an odd integer >= 3 below n`);
  }
}

// --- keys ------------------------------------------------------------------------------------

/**
 * A public key ready for blinding: {n, e, saltLength, modulusBits, modulusLength, spki, cryptoKey}.
 * WebCrypto gets it as a JWK because Chromium and Node refuse SPKIs under the id-RSASSA-PSS OID.
 */
export async function publicKeyFromComponents(n, e, saltLength) {
  checkPublic(n, e);
  const modulusBits = bitLength(n);
  const modulusLength = Math.ceil(modulusBits / 8);
  const jwk = {
    kty: 'RSA',
    n: base64url(bigIntToBytes(n, modulusLength)),
    e: base64url(bigIntToBytes(e, Math.ceil(bitLength(e) / 8))),
    ext: true,
  };
  const algorithm = { name: 'RSA-PSS', hash: 'SHA-384' };
  const cryptoKey = await subtle().importKey('jwk', jwk, algorithm, false, ['verify']);
  const spki = encodeRsaPssSpki(n, e, saltLength);
  return Object.freeze({ n, e, saltLength, modulusBits, modulusLength, spki, cryptoKey });
}

/** Parse and import a DER RSASSA-PSS SPKI; see `parseRsaPssSpki` for what it rejects. */
export async function importRsaPssSpki(spki) {
  const { n, e, saltLength } = parseRsaPssSpki(spki);
  return publicKeyFromComponents(n, e, saltLength);
}

// --- RFC 9474 client operations --------------------------------------------------------------

export async function sha384(data) {
  return new Uint8Array(await subtle().digest('SHA-384', data));
}

async function mgf1Sha384(seed, length) {
  const blocks = [];
  for (let counter = 0; counter < Math.ceil(length / HASH_LEN); counter++) {
    blocks.push(await sha384(concatBytes(seed, bigIntToBytes(BigInt(counter), 4))));
  }
  return concatBytes(...blocks).subarray(0, length);
}

/** EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) with SHA-384 and MGF1-SHA-384. */
export async function emsaPssEncode(msg, emBits, salt) {
  const emLength = Math.ceil(emBits / 8);
  if (emLength < HASH_LEN + salt.length + 2) {
    throw new BlindRsaError(`an encoded message of ${emBits} bits cannot hold hash and salt`);
  }
  const mHash = await sha384(msg);
  const h = await sha384(concatBytes(new Uint8Array(8), mHash, salt));
  const db = concatBytes(
    new Uint8Array(emLength - salt.length - HASH_LEN - 2),
    Uint8Array.of(1),
    salt,
  );
  const mask = await mgf1Sha384(h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  // Clearing the excess top bits keeps the encoded integer below the modulus.
  db[0] &= 0xff >> (8 * emLength - emBits);
  return concatBytes(db, h, Uint8Array.of(0xbc));
}

/** The message actually signed: `msg`, or 32 random bytes + `msg` for the randomized variants. */
export function prepare(msg, randomized, { msgPrefix } = {}) {
  const message = toBytes(msg, 'message');
  if (!randomized) {
    if (msgPrefix !== undefined) throw new BlindRsaError('PrepareIdentity takes no msgPrefix');
    return message;
  }
  const prefix =
    msgPrefix === undefined ? randomBytes(PREFIX_LEN) : toBytes(msgPrefix, 'msgPrefix');
  if (prefix.length !== PREFIX_LEN) {
    throw new BlindRsaError(`msgPrefix must be ${PREFIX_LEN} bytes`);
  }
  return concatBytes(prefix, message);
}

/**
 * RFC 9474 Blind: PSS-encode `preparedMsg` and multiply it by r^e. Returns {blindedMsg, inv};
 * send `blindedMsg`, keep `inv` secret until `finalize` (it links issuance to redemption).
 */
export async function blind(publicKey, preparedMsg, { salt, blindFactor } = {}) {
  const { n, e, saltLength, modulusBits, modulusLength } = publicKey;
  const saltBytes = salt === undefined ? randomBytes(saltLength) : toBytes(salt, 'salt');
  if (saltBytes.length !== saltLength) {
    throw new BlindRsaError(`the salt must be ${saltLength} bytes, got ${saltBytes.length}`);
  }
  const encoded = await emsaPssEncode(toBytes(preparedMsg, 'message'), modulusBits - 1, saltBytes);
  const m = bytesToBigInt(encoded);
  if (gcd(m, n) !== 1n) throw new BlindRsaError('encoded message is not coprime with the modulus');
  let r;
  let inv;
  if (blindFactor === undefined) {
    do {
      r = randomBelow(n);
      inv = modInverse(r, n); // null only if r shares a factor with n: retry
    } while (inv === null);
  } else {
    if (typeof blindFactor !== 'bigint' || blindFactor < 1n || blindFactor >= n) {
      throw new BlindRsaError('blindFactor must be a BigInt with 1 <= r < n');
    }
    r = blindFactor;
    inv = modInverse(r, n);
    if (inv === null) throw new BlindRsaError('blindFactor is not invertible mod n');
  }
  const z = (m * modPow(r, e, n)) % n;
  return { blindedMsg: bigIntToBytes(z, modulusLength), inv };
}

/** RSASSA-PSS-VERIFY with SHA-384 through WebCrypto; throws `InvalidSignatureError`. */
export async function verify(publicKey, msg, signature) {
  const sig = toBytes(signature, 'signature');
  if (sig.length !== publicKey.modulusLength) {
    throw new InvalidSignatureError(`signature must be ${publicKey.modulusLength} bytes`);
  }
  const algorithm = { name: 'RSA-PSS', saltLength: publicKey.saltLength };
  if (!(await subtle().verify(algorithm, publicKey.cryptoKey, sig, toBytes(msg, 'message')))) {
    throw new InvalidSignatureError('signature does not verify under this key');
  }
}

/** RFC 9474 Finalize: unblind the server's answer, verify it, return the signature bytes. */
export async function finalize(publicKey, preparedMsg, blindSig, inv) {
  const { n, modulusLength } = publicKey;
  const blinded = toBytes(blindSig, 'blind signature');
  if (blinded.length !== modulusLength) {
    throw new InvalidSignatureError(
      `blind signature must be ${modulusLength} bytes, got ${blinded.length}`,
    );
  }
  const z = bytesToBigInt(blinded);
  if (z >= n) throw new InvalidSignatureError('blind signature is not smaller than the modulus');
  if (typeof inv !== 'bigint' || inv < 1n || inv >= n) {
    throw new BlindRsaError('inv must be a BigInt with 1 <= inv < n');
  }
  const sig = bigIntToBytes((z * inv) % n, modulusLength);
  try {
    await verify(publicKey, preparedMsg, sig);
  } catch (error) {
    throw new InvalidSignatureError(
      "the server's blind signature does not unblind to a valid signature " +
        '(wrong key, tampered response, or mismatched blinding state)',
      { cause: error },
    );
  }
  return sig;
}
