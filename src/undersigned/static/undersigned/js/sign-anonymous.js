// The anonymous signing page: make a token in this browser, then sign with it now or later.
//
// 1. Take the letter's issuance key from its public log (logcheck.js), not from the server's
//    say-so alone, and check the API serves the same one.
// 2. Blind a fresh token input and send only the blinded request with the verification (email
//    and code, or invite code); unblind the answer and check the token here.
// 3. Put the token in the sign-now form. Nothing else leaves the page: the nonce and the
//    unblinding factor stay in memory, and the token is sent only when the signer submits it.
// Requests carry no cookies, so nothing but the verification itself travels with the request.

import { LogCheckError, genesisIssuer } from './logcheck.js';
import {
  TokenError,
  base64Decode,
  base64Encode,
  createTokenRequest,
  finalizeToken,
  importIssuerKey,
  verifyToken,
} from './privacypass.js';

const issueForm = document.getElementById('anonymous-issue');
const redeemForm = document.getElementById('anonymous-redeem');
const statusLine = document.getElementById('anonymous-status');
const tokenField = document.getElementById('anonymous-token');
const copyButton = document.getElementById('anonymous-copy');

class PageError extends Error {}

function say(message, { error = false } = {}) {
  statusLine.textContent = message;
  statusLine.classList.toggle('error', error);
  statusLine.setAttribute('role', error ? 'alert' : 'status');
}

async function fetchOk(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { credentials: 'omit', cache: 'no-store', ...options });
  } catch (error) {
    throw new PageError('The site could not be reached. Check your connection and try again.', {
      cause: error,
    });
  }
  return response;
}

async function apiError(response) {
  try {
    const body = await response.json();
    if (body?.error?.message) return new PageError(body.error.message);
  } catch {
    // Not our JSON error format: fall through to the status line.
  }
  return new PageError(`The site answered ${response.status}. Please try again later.`);
}

async function logKey(letter) {
  if (letter.verifier_key) return letter.verifier_key;
  const published = await fetchOk(issueForm.dataset.logKey);
  return published.ok ? (await published.text()).trim() : null;
}

async function issuerFromLog() {
  const letterResponse = await fetchOk(issueForm.dataset.letterApi);
  if (!letterResponse.ok) throw await apiError(letterResponse);
  const letter = await letterResponse.json();
  const vkey = letter.issuance_key ? await logKey(letter) : null;
  if (!vkey) {
    throw new PageError(
      "This letter's public log has not started yet, so no token can be made. Try again in a " +
        'few minutes; your code stays valid meanwhile.',
    );
  }
  const proof = await fetchOk(issueForm.dataset.genesisProof);
  if (proof.status === 404) {
    throw new PageError(
      "The letter's public log has not published its first entry yet. Try again in a few " +
        'minutes; your code stays valid meanwhile.',
    );
  }
  if (!proof.ok) throw await apiError(proof);
  const genesis = await genesisIssuer(await proof.text(), vkey);
  if (
    base64Encode(genesis.issuanceKey) !== letter.issuance_key ||
    base64Encode(genesis.tokenChallenge) !== letter.token_challenge
  ) {
    throw new PageError(
      "The key this page was given is not the one in the letter's public log. Do not go on; " +
        'tell the organizers, or sign with the command-line client.',
    );
  }
  return {
    key: await importIssuerKey(genesis.issuanceKey),
    challenge: genesis.tokenChallenge,
  };
}

function verification() {
  const data = new FormData(issueForm);
  if (issueForm.dataset.mode === 'invite') return { invite_code: data.get('invite_code') };
  return { email: data.get('email'), code: data.get('code') };
}

async function issue() {
  say("Checking the letter's key against its public log…");
  const { key, challenge } = await issuerFromLog();
  say('Making your token…');
  const { tokenRequest, state } = await createTokenRequest(challenge, key);
  const answer = await fetchOk(issueForm.dataset.tokens, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ ...verification(), token_request: base64Encode(tokenRequest) }),
  });
  if (!answer.ok) throw await apiError(answer);
  const { token_response: response } = await answer.json();
  const token = await finalizeToken(state, base64Decode(response));
  await verifyToken(token, key, challenge);
  return base64Encode(token);
}

function explain(error) {
  if (error instanceof PageError) return error.message;
  if (error instanceof LogCheckError) {
    return `The letter's public log does not check out (${error.message}). Do not go on; tell the organizers.`;
  }
  if (error instanceof TokenError) {
    return `The token could not be made (${error.message}). Nothing was signed; please try again.`;
  }
  return `Something went wrong in this browser (${error.message}). Nothing was signed.`;
}

issueForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = issueForm.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    tokenField.value = await issue();
    issueForm.reset();
    issueForm.hidden = true;
    document.getElementById('anonymous-intro').hidden = true;
    redeemForm.hidden = false;
    say(
      'Your anonymous token is ready. Sign with it now, or copy it and sign later. It is the ' +
        'only copy: if you close this page without doing either, it is lost.',
    );
    tokenField.focus();
  } catch (error) {
    say(explain(error), { error: true });
  } finally {
    button.disabled = false;
  }
});

copyButton.addEventListener('click', async () => {
  tokenField.select();
  try {
    await navigator.clipboard.writeText(tokenField.value);
    say('The token is copied. Keep it somewhere only you can read until you sign with it.');
  } catch {
    say('Copying was not allowed: the token is selected, copy it with your keyboard.');
  }
});
