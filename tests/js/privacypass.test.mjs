// Privacy Pass token type 0x0002 in JavaScript: the RFC 9578 vectors byte for byte, strict input.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';

import { encodeRsaPssSpki } from '../../src/undersigned/static/undersigned/js/blindrsa.js';
import {
  TOKEN_LEN,
  TokenError,
  WebCryptoUnavailableError,
  base64Decode,
  base64Encode,
  challengeDigest,
  createTokenRequest,
  decodeToken,
  encodeToken,
  encodeTokenRequest,
  finalizeToken,
  importIssuerKey,
  parseTokenChallenge,
  verifyToken,
} from '../../src/undersigned/static/undersigned/js/privacypass.js';
import { RFC9578, flip, generateKey, hex, rawSign, toHex, vectorPrivateKey } from './support.mjs';

// A fresh issuer, as the server makes one per letter; OpenSSL stands in for its private half.
const ISSUER = generateKey();
const ISSUER_SPKI = encodeRsaPssSpki(ISSUER.n, ISSUER.e, 48);

function challenge(issuerName, { context = new Uint8Array(0), originInfo = '' } = {}) {
  const issuer = new TextEncoder().encode(issuerName);
  const origin = new TextEncoder().encode(originInfo);
  const uint16 = (length) => [length >> 8, length & 0xff];
  return Uint8Array.of(
    ...[0, 2],
    ...uint16(issuer.length),
    ...issuer,
    context.length,
    ...context,
    ...uint16(origin.length),
    ...origin,
  );
}

const CHALLENGE = challenge('letters.example.org', { originInfo: 'letters.example.org' });

async function vectorRequest(vector) {
  const key = await importIssuerKey(hex(vector.pkS));
  const { tokenRequest, state } = await createTokenRequest(hex(vector.token_challenge), key, {
    nonce: hex(vector.nonce),
    salt: hex(vector.salt),
    blindFactor: BigInt('0x' + vector.blind), // RFC 9578 publishes r itself
  });
  return { key, tokenRequest, state };
}

/** A token from the fresh issuer for `CHALLENGE`. */
async function issuedToken() {
  const key = await importIssuerKey(ISSUER_SPKI);
  const { tokenRequest, state } = await createTokenRequest(CHALLENGE, key);
  const response = rawSign(ISSUER.privateKey, tokenRequest.subarray(3));
  return { key, tokenRequest, token: await finalizeToken(state, response) };
}

test('rfc9578 vectors all five loaded', () => {
  assert.equal(RFC9578.length, 5);
});

for (const [index, vector] of RFC9578.entries()) {
  describe(`rfc9578 vector ${index}`, () => {
    test('token_key_id is the sha256 of the spki', async () => {
      const key = await importIssuerKey(hex(vector.pkS));
      const expected = createHash('sha256').update(hex(vector.pkS)).digest();
      assert.equal(toHex(key.tokenKeyId), expected.toString('hex'));
      assert.equal(key.truncatedTokenKeyId, expected[31]);
    });

    test('token request matches', async () => {
      const { tokenRequest } = await vectorRequest(vector);
      assert.equal(toHex(tokenRequest), vector.token_request);
    });

    test('the vector key signs the request into the vector response', async () => {
      const { tokenRequest } = await vectorRequest(vector);
      const blindSig = rawSign(vectorPrivateKey(vector), tokenRequest.subarray(3));
      assert.equal(toHex(blindSig), vector.token_response);
    });

    test('finalized token matches and verifies', async () => {
      const { key, state } = await vectorRequest(vector);
      const token = await finalizeToken(state, hex(vector.token_response));
      assert.equal(toHex(token), vector.token);
      const parsed = await verifyToken(token, key, hex(vector.token_challenge));
      assert.equal(toHex(parsed.nonce), vector.nonce);
    });

    test('finalize with a tampered token response throws', async () => {
      const { state } = await vectorRequest(vector);
      const tampered = flip(hex(vector.token_response), 7);
      await assert.rejects(finalizeToken(state, tampered), /does not yield a valid token/);
    });
  });
}

describe('issuance against a fresh key', () => {
  test('round trip verifies and names the key', async () => {
    const { key, tokenRequest, token } = await issuedToken();
    assert.equal(tokenRequest[2], key.truncatedTokenKeyId);
    assert.equal(token.length, TOKEN_LEN);
    const parsed = await verifyToken(token, key, CHALLENGE);
    assert.equal(toHex(parsed.challengeDigest), toHex(await challengeDigest(CHALLENGE)));
  });

  test('each request has a fresh nonce and blinding', async () => {
    const first = await issuedToken();
    const second = await issuedToken();
    assert.notEqual(toHex(first.tokenRequest), toHex(second.tokenRequest));
    assert.notEqual(toHex(decodeToken(first.token).nonce), toHex(decodeToken(second.token).nonce));
  });

  test('finalize with the response to another request throws', async () => {
    const key = await importIssuerKey(ISSUER_SPKI);
    const first = await createTokenRequest(CHALLENGE, key);
    const second = await createTokenRequest(CHALLENGE, key);
    const response = rawSign(ISSUER.privateKey, second.tokenRequest.subarray(3));
    await assert.rejects(finalizeToken(first.state, response), TokenError);
  });

  test('finalize with a short response throws', async () => {
    const key = await importIssuerKey(ISSUER_SPKI);
    const { state } = await createTokenRequest(CHALLENGE, key);
    await assert.rejects(finalizeToken(state, new Uint8Array(255)), /must be 256 bytes, got 255/);
  });

  test('verify against another challenge throws', async () => {
    const { key, token } = await issuedToken();
    const other = challenge('other.example.org');
    await assert.rejects(verifyToken(token, key, other), /different challenge/);
  });

  test('verify under another key throws', async () => {
    const { token } = await issuedToken();
    const vectorKey = await importIssuerKey(hex(RFC9578[0].pkS));
    await assert.rejects(verifyToken(token, vectorKey, CHALLENGE), /different issuer key/);
  });

  test('verify with a forged authenticator throws', async () => {
    const { key, token } = await issuedToken();
    const forged = flip(token, TOKEN_LEN - 1);
    await assert.rejects(verifyToken(forged, key, CHALLENGE), /not a valid issuer signature/);
  });

  test('a nonce of the wrong length throws', async () => {
    const key = await importIssuerKey(ISSUER_SPKI);
    const nonce = new Uint8Array(31);
    await assert.rejects(createTokenRequest(CHALLENGE, key, { nonce }), /nonce must be 32 bytes/);
  });

  test('without WebCrypto, importing the key says why', async () => {
    const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
    try {
      await assert.rejects(importIssuerKey(ISSUER_SPKI), WebCryptoUnavailableError);
    } finally {
      Object.defineProperty(globalThis, 'crypto', original);
    }
  });
});

describe('strict inputs', () => {
  test('issuer key with salt length 0 throws', async () => {
    const spki = encodeRsaPssSpki(ISSUER.n, ISSUER.e, 0);
    await assert.rejects(importIssuerKey(spki), /48-byte PSS salt/);
  });

  test('issuer key of 3072 bits throws', async () => {
    const large = generateKey(3072);
    const spki = encodeRsaPssSpki(large.n, large.e, 48);
    await assert.rejects(importIssuerKey(spki), /2048-bit key, got 3072 bits/);
  });

  test('malformed issuer key throws a TokenError', async () => {
    await assert.rejects(
      importIssuerKey(ISSUER_SPKI.slice(0, 100)),
      (error) => error instanceof TokenError && /^issuer key is unusable: /.test(error.message),
    );
  });

  test('challenge parses into its fields', () => {
    const context = new Uint8Array(32).fill(9);
    const originInfo = 'a.example,b.example:8443';
    const parsed = parseTokenChallenge(challenge('issuer.example', { context, originInfo }));
    assert.deepEqual(parsed, {
      tokenType: 2,
      issuerName: 'issuer.example',
      redemptionContext: context,
      originInfo,
    });
  });

  const badChallenges = {
    'token type 1': [Uint8Array.of(0, 1, 0, 1, 0x61, 0, 0, 0), /token type 0x0001/],
    truncated: [challenge('i.example').slice(0, -1), /truncated inside origin_info length/],
    'trailing byte': [Uint8Array.from([...challenge('i.example'), 0]), /1 trailing bytes/],
    'context of 16 bytes': [
      challenge('i.example', { context: new Uint8Array(16) }),
      /0 or 32 bytes/,
    ],
    'empty issuer name': [challenge(''), /not a server name/],
    'issuer name with a space': [challenge('a b'), /not a server name/],
    'issuer name with userinfo': [challenge('me@i.example'), /not a server name/],
    'empty origin in the list': [
      challenge('i.example', { originInfo: 'a.example,' }),
      /not a server name/,
    ],
    'non-ascii issuer name': [challenge('é.example'), /not a server name/],
  };
  for (const [label, [bytes, message]] of Object.entries(badChallenges)) {
    test(`challenge with ${label} throws`, () => {
      assert.throws(
        () => parseTokenChallenge(bytes),
        (error) => error instanceof TokenError && message.test(error.message),
      );
    });
  }

  test('token request encoding checks its fields', () => {
    assert.throws(() => encodeTokenRequest(256, new Uint8Array(256)), /single byte/);
    assert.throws(() => encodeTokenRequest(1, new Uint8Array(255)), /must be 256 bytes/);
  });

  test('token encodes and decodes', () => {
    const fields = {
      nonce: new Uint8Array(32).fill(1),
      challengeDigest: new Uint8Array(32).fill(2),
      tokenKeyId: new Uint8Array(32).fill(3),
      authenticator: new Uint8Array(256).fill(4),
    };
    const token = encodeToken(fields);
    assert.deepEqual(decodeToken(token), { ...fields, authenticatorInput: token.slice(0, 98) });
    assert.throws(() => decodeToken(token.slice(1)), /token type 0x0201/);
    assert.throws(() => decodeToken(token.slice(0, -1)), /Token must be 354 bytes/);
  });
});

describe('base64', () => {
  test('round trips every length up to 9 bytes', () => {
    for (let length = 0; length <= 9; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 250) & 0xff);
      const text = base64Encode(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64'));
      assert.deepEqual(base64Decode(text), bytes);
    }
  });

  test('encodes a token like Node does', () => {
    const bytes = hex(RFC9578[0].token);
    assert.equal(base64Encode(bytes), Buffer.from(bytes).toString('base64'));
  });

  const bad = {
    'url-safe alphabet': '-_-_',
    'missing padding': 'QQ',
    whitespace: 'QUJD\nREVG',
    'non-zero unused bits': 'QR==',
    'stray padding': 'QQ==QQ==',
    'not a string': 42,
  };
  for (const [label, text] of Object.entries(bad)) {
    test(`decoding with ${label} throws`, () => {
      assert.throws(() => base64Decode(text), TokenError);
    });
  }
});
