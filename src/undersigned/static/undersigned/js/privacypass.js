// Privacy Pass tokens of type 0x0002 (Blind RSA 2048), client side: RFC 9578 section 6 issuance
// and the RFC 9577 token format. The mirror of src/undersigned/crypto/tokens.py.
//
// The signing page does, with the issuer key and TokenChallenge from GET /api/v1/letters/{slug}:
//   const key = await importIssuerKey(base64Decode(letter.issuance_key));
//   const challenge = base64Decode(letter.token_challenge);
//   const { tokenRequest, state } = await createTokenRequest(challenge, key);
//   ... POST base64Encode(tokenRequest), receive token_response ...
//   const token = await finalizeToken(state, base64Decode(answer.token_response));
// `state` holds the nonce and the unblinding factor: it must never leave the browser, or the
// server could link the token it later redeems to the mailbox that asked for it.

import { BlindRsaError, blind, finalize, importRsaPssSpki, verify } from './blindrsa.js';
import { bytesEqual, concatBytes, randomBytes, subtle } from './primitives.js';

export { BlindRsaError, InvalidSignatureError, WebCryptoUnavailableError } from './blindrsa.js';

export const TOKEN_TYPE_BLIND_RSA = 0x0002;
export const NK = 256; // authenticator, blinded message and blind signature length
export const NID = 32; // token_key_id length
export const NONCE_LEN = 32;
export const DIGEST_LEN = 32;
export const KEY_BITS = 2048;
export const SALT_LEN = 48; // RFC 9578 pins RSABSSA-SHA384-PSS-Deterministic
export const TOKEN_REQUEST_LEN = 2 + 1 + NK;
export const TOKEN_LEN = 2 + NONCE_LEN + DIGEST_LEN + NID + NK;

const TOKEN_TYPE_BYTES = Uint8Array.of(TOKEN_TYPE_BLIND_RSA >> 8, TOKEN_TYPE_BLIND_RSA & 0xff);
const SERVER_NAME = /^[!-~]+$/; // printable ASCII, no spaces or control characters

/** A malformed message, a wrong token type, a wrong key or a response that does not verify. */
export class TokenError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'TokenError';
  }
}

function bytesOf(data, what) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TokenError(`${what} must be a Uint8Array`);
}

function checkLength(data, expected, what) {
  if (data.length !== expected) {
    throw new TokenError(`${what} must be ${expected} bytes, got ${data.length}`);
  }
}

function checkType(data, what) {
  if (data.length < 2) throw new TokenError(`${what} is too short to hold a token type`);
  const type = (data[0] << 8) | data[1];
  if (type !== TOKEN_TYPE_BLIND_RSA) {
    const hex = type.toString(16).padStart(4, '0');
    throw new TokenError(`${what} has token type 0x${hex}; only 0x0002 (Blind RSA) is supported`);
  }
}

export async function sha256(data) {
  return new Uint8Array(await subtle().digest('SHA-256', data));
}

// --- base64, as the HTTP API carries binary fields --------------------------------------------

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with padding. */
export function base64Encode(bytes) {
  const data = bytesOf(bytes, 'data');
  let binary = '';
  for (let i = 0; i < data.length; i += 0x8000) {
    binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Strict standard base64 with padding: other alphabets, whitespace or stray bits throw. */
export function base64Decode(text) {
  if (typeof text !== 'string' || !BASE64.test(text)) {
    throw new TokenError('not standard base64 with padding');
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  // Non-zero unused bits in the last character would give two spellings of the same bytes.
  if (base64Encode(out) !== text) throw new TokenError('base64 is not in canonical form');
  return out;
}

// --- issuer key and challenge ----------------------------------------------------------------

/**
 * Import the issuer's DER SPKI (id-RSASSA-PSS, SHA-384, salt 48, 2048 bits) and compute its
 * token_key_id = SHA-256(SPKI). Returns {publicKey, spki, tokenKeyId, truncatedTokenKeyId}.
 */
export async function importIssuerKey(spki) {
  const der = bytesOf(spki, 'issuer key');
  let publicKey;
  try {
    publicKey = await importRsaPssSpki(der);
  } catch (error) {
    if (!(error instanceof BlindRsaError)) throw error;
    throw new TokenError(`issuer key is unusable: ${error.message}`, { cause: error });
  }
  if (publicKey.modulusBits !== KEY_BITS) {
    throw new TokenError(
      `token type 0x0002 needs a ${KEY_BITS}-bit key, got ${publicKey.modulusBits} bits`,
    );
  }
  if (publicKey.saltLength !== SALT_LEN) {
    throw new TokenError(`token type 0x0002 needs a ${SALT_LEN}-byte PSS salt`);
  }
  const tokenKeyId = await sha256(der);
  return Object.freeze({
    publicKey,
    spki: der,
    tokenKeyId,
    truncatedTokenKeyId: tokenKeyId[NID - 1],
  });
}

function checkServerName(name) {
  // RFC 9577 section 2.1.1.1: a URI authority without userinfo; commas separate origin_info.
  if (!SERVER_NAME.test(name) || name.includes('@') || name.includes(',')) {
    throw new TokenError(`${JSON.stringify(name)} is not a server name (ASCII host[:port])`);
  }
}

/** Strictly parse an RFC 9577 TokenChallenge of type 0x0002. */
export function parseTokenChallenge(challenge) {
  const data = bytesOf(challenge, 'TokenChallenge');
  checkType(data, 'TokenChallenge');
  let pos = 2;
  const take = (size, field) => {
    if (pos + size > data.length) {
      throw new TokenError(`TokenChallenge is truncated inside ${field}`);
    }
    const chunk = data.subarray(pos, pos + size);
    pos += size;
    return chunk;
  };
  const uint16 = (field) => {
    const two = take(2, field);
    return (two[0] << 8) | two[1];
  };
  const issuer = take(uint16('issuer_name length'), 'issuer_name');
  const redemptionContext = take(take(1, 'redemption_context length')[0], 'redemption_context');
  const origin = take(uint16('origin_info length'), 'origin_info');
  if (pos !== data.length) {
    throw new TokenError(`TokenChallenge has ${data.length - pos} trailing bytes`);
  }
  if (redemptionContext.length !== 0 && redemptionContext.length !== 32) {
    throw new TokenError('TokenChallenge redemption_context must be 0 or 32 bytes');
  }
  const issuerName = String.fromCharCode(...issuer);
  const originInfo = String.fromCharCode(...origin);
  checkServerName(issuerName);
  if (originInfo !== '') originInfo.split(',').forEach(checkServerName);
  return { tokenType: TOKEN_TYPE_BLIND_RSA, issuerName, redemptionContext, originInfo };
}

/** SHA-256 of a (validated) TokenChallenge: the challenge_digest bound into tokens. */
export async function challengeDigest(challenge) {
  parseTokenChallenge(challenge);
  return sha256(challenge);
}

// --- wire formats ----------------------------------------------------------------------------

/** TokenRequest bytes: token_type (2) || truncated_token_key_id (1) || blinded_msg (Nk). */
export function encodeTokenRequest(truncatedTokenKeyId, blindedMsg) {
  if (
    !Number.isInteger(truncatedTokenKeyId) ||
    truncatedTokenKeyId < 0 ||
    truncatedTokenKeyId > 0xff
  ) {
    throw new TokenError('truncated_token_key_id must be a single byte (0..255)');
  }
  checkLength(bytesOf(blindedMsg, 'blinded_msg'), NK, 'TokenRequest.blinded_msg');
  return concatBytes(TOKEN_TYPE_BYTES, Uint8Array.of(truncatedTokenKeyId), blindedMsg);
}

/** Token bytes: token_type || nonce || challenge_digest || token_key_id || authenticator. */
export function encodeToken({ nonce, challengeDigest: digest, tokenKeyId, authenticator }) {
  checkLength(bytesOf(nonce, 'nonce'), NONCE_LEN, 'Token.nonce');
  checkLength(bytesOf(digest, 'challenge_digest'), DIGEST_LEN, 'Token.challenge_digest');
  checkLength(bytesOf(tokenKeyId, 'token_key_id'), NID, 'Token.token_key_id');
  checkLength(bytesOf(authenticator, 'authenticator'), NK, 'Token.authenticator');
  return concatBytes(TOKEN_TYPE_BYTES, nonce, digest, tokenKeyId, authenticator);
}

/** Token bytes as {nonce, challengeDigest, tokenKeyId, authenticator, authenticatorInput}. */
export function decodeToken(token) {
  const data = bytesOf(token, 'Token');
  checkType(data, 'Token');
  checkLength(data, TOKEN_LEN, 'Token');
  const digestAt = 2 + NONCE_LEN;
  const keyIdAt = digestAt + DIGEST_LEN;
  const authenticatorAt = keyIdAt + NID;
  return {
    nonce: data.slice(2, digestAt),
    challengeDigest: data.slice(digestAt, keyIdAt),
    tokenKeyId: data.slice(keyIdAt, authenticatorAt),
    authenticator: data.slice(authenticatorAt),
    authenticatorInput: data.slice(0, authenticatorAt),
  };
}

// --- issuance --------------------------------------------------------------------------------

/**
 * Build a blinded TokenRequest for `challenge` under `issuerKey` (from `importIssuerKey`).
 * Returns {tokenRequest, state}: send the bytes, keep `state` in memory for `finalizeToken`.
 * `nonce`, `salt` and `blindFactor` are for the published vectors only.
 */
export async function createTokenRequest(challenge, issuerKey, { nonce, salt, blindFactor } = {}) {
  const nonceBytes = nonce === undefined ? randomBytes(NONCE_LEN) : bytesOf(nonce, 'nonce');
  checkLength(nonceBytes, NONCE_LEN, 'nonce');
  const digest = await challengeDigest(bytesOf(challenge, 'TokenChallenge'));
  const tokenInput = concatBytes(TOKEN_TYPE_BYTES, nonceBytes, digest, issuerKey.tokenKeyId);
  // RFC 9578 uses PrepareIdentity: the token input itself is the message.
  const { blindedMsg, inv } = await blind(issuerKey.publicKey, tokenInput, { salt, blindFactor });
  const tokenRequest = encodeTokenRequest(issuerKey.truncatedTokenKeyId, blindedMsg);
  return { tokenRequest, state: Object.freeze({ issuerKey, tokenInput, inv }) };
}

/** Unblind the issuer's TokenResponse (Nk bytes) into Token bytes; throws if it does not verify. */
export async function finalizeToken(state, tokenResponse) {
  const blindSig = bytesOf(tokenResponse, 'TokenResponse');
  checkLength(blindSig, NK, 'TokenResponse');
  let authenticator;
  try {
    const { issuerKey, tokenInput, inv } = state;
    authenticator = await finalize(issuerKey.publicKey, tokenInput, blindSig, inv);
  } catch (error) {
    if (!(error instanceof BlindRsaError)) throw error;
    throw new TokenError(`issuer response does not yield a valid token: ${error.message}`, {
      cause: error,
    });
  }
  return concatBytes(state.tokenInput, authenticator);
}

/**
 * Check Token bytes against the issuer key and the challenge they must answer; return the parsed
 * token. Whether the nonce was already redeemed is for the server to say.
 */
export async function verifyToken(token, issuerKey, challenge) {
  const parsed = decodeToken(token);
  if (!bytesEqual(parsed.tokenKeyId, issuerKey.tokenKeyId)) {
    throw new TokenError('token was issued under a different issuer key');
  }
  const expectedDigest = await challengeDigest(bytesOf(challenge, 'TokenChallenge'));
  if (!bytesEqual(parsed.challengeDigest, expectedDigest)) {
    throw new TokenError('token answers a different challenge');
  }
  try {
    await verify(issuerKey.publicKey, parsed.authenticatorInput, parsed.authenticator);
  } catch (error) {
    if (!(error instanceof BlindRsaError)) throw error;
    throw new TokenError('token authenticator is not a valid issuer signature', { cause: error });
  }
  return parsed;
}
