// The proof-of-work check on the signing forms (signing/challenge.py on the server): the
// ALTCHA widget, served from this site, solves the challenge the page carries in a worker and
// puts the answer in the form's "altcha" field. The worker's URL comes from the page, which
// knows its hashed static name.
import '../vendor/altcha/altcha.min.js';

const widget = document.querySelector('altcha-widget[data-worker]');
if (widget) {
  const url = widget.dataset.worker;
  globalThis.$altcha.algorithms.set('PBKDF2/SHA-256', () => new Worker(url));
}
