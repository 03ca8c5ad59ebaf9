// logcheck.js driven from Python (tests/crypto/test_logcheck_js.py): one JSON case per line,
//   in:  {"proof": tlog-proof text, "vkey": the log's key}
//   out: {"issuance_key": b64, "token_challenge": b64, "origin": ...} or {"error": "Name: message"}
import { webcrypto } from 'node:crypto';
import { createInterface } from 'node:readline';

import { genesisIssuer } from '../../src/undersigned/static/undersigned/js/logcheck.js';
import { base64Encode } from '../../src/undersigned/static/undersigned/js/privacypass.js';

// Node 20 has WebCrypto at globalThis.crypto as browsers do; Debian 12's Node 18 needs this.
globalThis.crypto ??= webcrypto;

for await (const line of createInterface({ input: process.stdin })) {
  const { proof, vkey } = JSON.parse(line);
  let answer;
  try {
    const genesis = await genesisIssuer(proof, vkey);
    answer = {
      origin: genesis.origin,
      issuance_key: base64Encode(genesis.issuanceKey),
      token_challenge: base64Encode(genesis.tokenChallenge),
    };
  } catch (error) {
    answer = { error: `${error.name}: ${error.message}` };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
