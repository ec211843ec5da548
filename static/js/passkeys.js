// The sign-in methods page (templates/registration/sign_in_methods.html): once
// django-otp-webauthn's script has added a passkey, go and name it. The server's
// answer (referrals.views.passkeys.PasskeyRegistrationComplete) says where.
document.addEventListener('otp_webauthn.register_complete', (event) => {
  const answer = event.detail && event.detail.response
  if (answer && typeof answer.name_url === 'string' && answer.name_url.startsWith('/')) {
    window.location.assign(answer.name_url)
  }
})
