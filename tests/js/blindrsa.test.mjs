// RFC 9474 blind RSA in JavaScript: every published vector byte for byte, then failure modes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  BlindRsaError,
  InvalidSignatureError,
  bigIntToBytes,
  blind,
  emsaPssEncode,
  encodeRsaPssSpki,
  finalize,
  importRsaPssSpki,
  modInverse,
  parseRsaPssSpki,
  prepare,
  publicKeyFromComponents,
  verify,
} from '../../src/undersigned/static/undersigned/js/blindrsa.js';
import { RFC9474, flip, generateKey, hex, rawSign } from './support.mjs';

const VARIANT_NAMES = Object.keys(RFC9474).sort();

// One 2048-bit key for the failure-mode tests: generating keys is the slow part.
const KEY = generateKey();

function big(text) {
  return BigInt('0x' + text);
}

function vectorKey(vector) {
  return publicKeyFromComponents(big(vector.n), big(vector.e), vector.salt.length / 2);
}

function vectorPrepared(name) {
  const vector = RFC9474[name];
  const randomized = name.endsWith('-Randomized');
  const options = randomized ? { msgPrefix: hex(vector.msg_prefix) } : {};
  return prepare(hex(vector.msg), randomized, options);
}

test('rfc9474 vectors all four variants loaded', () => {
  assert.deepEqual(VARIANT_NAMES, [
    'RSABSSA-SHA384-PSS-Deterministic',
    'RSABSSA-SHA384-PSS-Randomized',
    'RSABSSA-SHA384-PSSZERO-Deterministic',
    'RSABSSA-SHA384-PSSZERO-Randomized',
  ]);
});

for (const name of VARIANT_NAMES) {
  describe(name, () => {
    const vector = RFC9474[name];

    test('prepared message matches', () => {
      assert.deepEqual(vectorPrepared(name), hex(vector.prepared_msg));
    });

    test('encoded message matches', async () => {
      const key = await vectorKey(vector);
      const salt = hex(vector.salt);
      const encoded = await emsaPssEncode(vectorPrepared(name), key.modulusBits - 1, salt);
      assert.deepEqual(encoded, hex(vector.encoded_msg));
    });

    test('blinded message and inverse match', async () => {
      const key = await vectorKey(vector);
      const r = modInverse(big(vector.inv), key.n); // the RFC publishes inv = r^-1 mod n
      const options = { salt: hex(vector.salt), blindFactor: r };
      const result = await blind(key, vectorPrepared(name), options);
      assert.deepEqual(result.blindedMsg, hex(vector.blinded_msg));
      assert.equal(result.inv, big(vector.inv));
    });

    test('finalized signature matches and verifies', async () => {
      const key = await vectorKey(vector);
      const blindSig = hex(vector.blind_sig);
      const sig = await finalize(key, vectorPrepared(name), blindSig, big(vector.inv));
      assert.deepEqual(sig, hex(vector.sig));
      await verify(key, vectorPrepared(name), sig);
    });

    test('finalize with a tampered blind signature throws', async () => {
      const key = await vectorKey(vector);
      const tampered = flip(hex(vector.blind_sig), 100);
      await assert.rejects(
        finalize(key, vectorPrepared(name), tampered, big(vector.inv)),
        InvalidSignatureError,
      );
    });

    test('spki round trips through the strict parser', () => {
      const saltLength = vector.salt.length / 2;
      const spki = encodeRsaPssSpki(big(vector.n), big(vector.e), saltLength);
      assert.deepEqual(parseRsaPssSpki(spki), { n: big(vector.n), e: big(vector.e), saltLength });
    });
  });
}

describe('round trip with a fresh 2048-bit key and random blinding', () => {
  const msg = new TextEncoder().encode('we, the undersigned');

  test('signature verifies and blinding differs each time', async () => {
    const key = await importRsaPssSpki(encodeRsaPssSpki(KEY.n, KEY.e, 48));
    const first = await blind(key, msg);
    const second = await blind(key, msg);
    assert.notDeepEqual(first.blindedMsg, second.blindedMsg);
    const sig = await finalize(key, msg, rawSign(KEY.privateKey, first.blindedMsg), first.inv);
    await verify(key, msg, sig);
  });

  test('finalize with the other blinding state throws', async () => {
    const key = await publicKeyFromComponents(KEY.n, KEY.e, 48);
    const first = await blind(key, msg);
    const second = await blind(key, msg);
    const blindSig = rawSign(KEY.privateKey, first.blindedMsg);
    await assert.rejects(finalize(key, msg, blindSig, second.inv), InvalidSignatureError);
  });

  test('finalize with a blind signature of the wrong length throws', async () => {
    const key = await publicKeyFromComponents(KEY.n, KEY.e, 48);
    const { inv } = await blind(key, msg);
    await assert.rejects(finalize(key, msg, new Uint8Array(255), inv), /must be 256 bytes/);
  });

  test('finalize with a blind signature not below n throws', async () => {
    const key = await publicKeyFromComponents(KEY.n, KEY.e, 48);
    const { inv } = await blind(key, msg);
    const tooBig = new Uint8Array(256).fill(0xff);
    await assert.rejects(finalize(key, msg, tooBig, inv), /not smaller than the modulus/);
  });

  test('blind with a salt of the wrong length throws', async () => {
    const key = await publicKeyFromComponents(KEY.n, KEY.e, 48);
    await assert.rejects(blind(key, msg, { salt: new Uint8Array(47) }), /48 bytes/);
  });

  test('blind with an out-of-range blind factor throws', async () => {
    const key = await publicKeyFromComponents(KEY.n, KEY.e, 48);
    await assert.rejects(blind(key, msg, { blindFactor: KEY.n }), /1 <= r < n/);
    await assert.rejects(blind(key, msg, { blindFactor: 0n }), /1 <= r < n/);
  });

  test('verify of a signature under another salt length throws', async () => {
    const pss = await publicKeyFromComponents(KEY.n, KEY.e, 48);
    const zero = await publicKeyFromComponents(KEY.n, KEY.e, 0);
    const { blindedMsg, inv } = await blind(zero, msg);
    const sig = await finalize(zero, msg, rawSign(KEY.privateKey, blindedMsg), inv);
    await assert.rejects(verify(pss, msg, sig), InvalidSignatureError);
  });
});

describe('strict spki parsing', () => {
  const good = encodeRsaPssSpki(KEY.n, KEY.e, 48);

  function spliced(bytes, at, remove, ...insert) {
    return Uint8Array.from([...bytes.slice(0, at), ...insert, ...bytes.slice(at + remove)]);
  }

  test('the canonical encoding parses', () => {
    assert.deepEqual(parseRsaPssSpki(good), { n: KEY.n, e: KEY.e, saltLength: 48 });
  });

  // Offsets into the canonical 2048-bit encoding: 30 82 01 52 | 30 3d 06 09 <id-RSASSA-PSS> ...
  const cases = {
    empty: [new Uint8Array(0), /truncated/],
    oversized: [new Uint8Array(2201), /2201 bytes; at most 2200 fit/],
    truncated: [good.slice(0, -1), /truncated/],
    'trailing byte': [Uint8Array.from([...good, 0]), /trailing bytes/],
    'wrong outer tag': [spliced(good, 0, 1, 0x31), /tag 0x31/],
    'rsaEncryption oid': [spliced(good, 16, 1, 0x01), /id-RSASSA-PSS/], // 1.1.10 -> 1.1.1
    'sha256 hash parameter': [spliced(good, 33, 1, 0x01), /id-RSASSA-PSS/], // 4.2.2 -> 4.2.1
    'salt length above 127': [spliced(good, 66, 1, 0x80), /negative PSS salt length/],
    'non-minimal outer length': [spliced(good, 1, 3, 0x83, 0, good[2], good[3]), /non-minimal/],
    'bit string with unused bits': [spliced(good, 71, 1, 0x01), /malformed subjectPublicKey/],
  };
  for (const [label, [bytes, message]] of Object.entries(cases)) {
    test(`${label} throws`, () => {
      assert.throws(
        () => parseRsaPssSpki(bytes),
        (error) => error instanceof BlindRsaError && message.test(error.message),
      );
    });
  }

  test('the rsaEncryption spki node exports throws', () => {
    const spki = new Uint8Array(KEY.publicKey.export({ format: 'der', type: 'spki' }));
    assert.throws(() => parseRsaPssSpki(spki), /id-RSASSA-PSS/);
  });

  test('a 1024-bit modulus throws', () => {
    const small = generateKey(1024);
    assert.throws(() => parseRsaPssSpki(encodeRsaPssSpki(small.n, small.e, 48)), /at least 2048/);
  });

  test('an even modulus throws', () => {
    assert.throws(() => parseRsaPssSpki(encodeRsaPssSpki(KEY.n + 1n, KEY.e, 48)), /even/);
  });

  test('an even exponent throws', () => {
    assert.throws(() => parseRsaPssSpki(encodeRsaPssSpki(KEY.n, 65536n, 48)), /exponent/);
  });

  test('a modulus with a redundant leading zero throws', () => {
    // INTEGER 02 82 01 01 00 <n> becomes 02 82 01 02 00 00 <n>; enclosing lengths grow by one.
    const modulus = [0x02, 0x82, 0x01, 0x02, 0, 0, ...bigIntToBytes(KEY.n, 256)];
    const rsaKey = [0x30, 0x82, 0x01, 0x0b, ...modulus, 0x02, 0x03, 1, 0, 1];
    const bits = [0x03, 0x82, 0x01, 0x10, 0, ...rsaKey];
    const body = [...good.slice(4, 4 + 63), ...bits];
    const spki = Uint8Array.of(0x30, 0x82, body.length >> 8, body.length & 0xff, ...body);
    assert.throws(() => parseRsaPssSpki(spki), /leading zero/);
  });

  test('a non-Uint8Array throws', () => {
    assert.throws(() => parseRsaPssSpki('MIIB'), /must be a Uint8Array/);
  });
});
