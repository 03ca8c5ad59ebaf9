// The browser client driven from Python (tests/crypto/test_js_interop.py) over stdin/stdout:
//   in:  {"issuer_key": b64 SPKI, "challenge": b64 TokenChallenge, "count": n}
//   out: {"token_requests": [b64, ...]}
//   in:  {"token_responses": [b64, ...]}
//   out: {"results": [{"token": b64} | {"error": "Name: message"}, ...]}
// One process for both steps, so the blinding state stays in memory as it does in the browser.
import { webcrypto } from 'node:crypto';
import { createInterface } from 'node:readline';

import {
  base64Decode,
  base64Encode,
  createTokenRequest,
  finalizeToken,
  importIssuerKey,
} from '../../src/undersigned/static/undersigned/js/privacypass.js';

// Node 20 has WebCrypto at globalThis.crypto as browsers do; Debian 12's Node 18 needs this.
globalThis.crypto ??= webcrypto;

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function receive() {
  const { value, done } = await lines.next();
  if (done) throw new Error('stdin closed early');
  return JSON.parse(value);
}

const setup = await receive();
const key = await importIssuerKey(base64Decode(setup.issuer_key));
const challenge = base64Decode(setup.challenge);
const states = [];
const tokenRequests = [];
for (let i = 0; i < setup.count; i++) {
  const { tokenRequest, state } = await createTokenRequest(challenge, key);
  states.push(state);
  tokenRequests.push(base64Encode(tokenRequest));
}
process.stdout.write(JSON.stringify({ token_requests: tokenRequests }) + '\n');

const { token_responses: responses } = await receive();
const results = [];
for (const [i, response] of responses.entries()) {
  try {
    results.push({ token: base64Encode(await finalizeToken(states[i], base64Decode(response))) });
  } catch (error) {
    results.push({ error: `${error.name}: ${error.message}` });
  }
}
process.stdout.write(JSON.stringify({ results }) + '\n');
