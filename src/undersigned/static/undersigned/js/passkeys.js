// After a passkey is added (django-otp-webauthn's register script reports it), show the new list.
document.addEventListener("otp_webauthn.register_complete", () => {
  window.location.reload();
});
