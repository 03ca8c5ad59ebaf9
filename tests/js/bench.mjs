// Time the browser client's work for one 2048-bit token: `node tests/js/bench.mjs [rounds]`.
// The issuer's private operation (OpenSSL here) is timed apart: the signer's device never does it.
import { performance } from 'node:perf_hooks';

import {
  createTokenRequest,
  finalizeToken,
  importIssuerKey,
} from '../../src/undersigned/static/undersigned/js/privacypass.js';
import { RFC9578, hex, rawSign, vectorPrivateKey } from './support.mjs';

const rounds = Number(process.argv[2] ?? 200);
const vector = RFC9578[0];
const privateKey = vectorPrivateKey(vector);
const challenge = hex(vector.token_challenge);
const timings = { importIssuerKey: [], createTokenRequest: [], issuer: [], finalizeToken: [] };

async function timed(label, work) {
  const start = performance.now();
  const result = await work();
  timings[label].push(performance.now() - start);
  return result;
}

for (let i = 0; i < rounds; i++) {
  const key = await timed('importIssuerKey', () => importIssuerKey(hex(vector.pkS)));
  const { tokenRequest, state } = await timed('createTokenRequest', () =>
    createTokenRequest(challenge, key),
  );
  const response = await timed('issuer', () => rawSign(privateKey, tokenRequest.subarray(3)));
  await timed('finalizeToken', () => finalizeToken(state, response));
}

const ms = (value) => `${value.toFixed(2)} ms`;
console.log(`${rounds} rounds, node ${process.version}`);
for (const [label, values] of Object.entries(timings)) {
  values.sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const median = values[values.length >> 1];
  const p99 = values[Math.min(values.length - 1, Math.floor(values.length * 0.99))];
  console.log(`${label.padEnd(20)} mean ${ms(mean)}  median ${ms(median)}  p99 ${ms(p99)}`);
}
