// Sign in with account, username (or email) and password; the platform admin uses the admin token.
import { api, h } from '../api.js';

export function signInPage(main, onSignedIn) {
  main.innerHTML = `
  <section class="card narrow">
    <h1>Sign in</h1>
    <form id="signin" novalidate>
      <div class="field"><label for="account">Account</label><input id="account" name="account" autocomplete="organization" required></div>
      <div class="field"><label for="login">Username or email</label><input id="login" name="login" autocomplete="username" required></div>
      <div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
      <p class="error" id="signin-error" role="alert"></p>
      <button type="submit">Sign in</button>
    </form>
    <details><summary>Platform admin</summary>
      <form id="admin-signin">
        <div class="field"><label for="admin-token">Admin token</label><input id="admin-token" type="password" autocomplete="off" required></div>
        <button type="submit" class="secondary">Sign in as platform admin</button>
      </form>
    </details>
  </section>`;
  const error = main.querySelector('#signin-error');
  const submit = async (body) => {
    error.textContent = '';
    try {
      await api('POST', '/session', body);
      await onSignedIn();
    } catch (err) {
      error.textContent = err.message;
    }
  };
  main.querySelector('#signin').onsubmit = (e) => {
    e.preventDefault();
    const f = e.target;
    submit({ account: f.account.value, login: f.login.value, password: f.password.value });
  };
  main.querySelector('#admin-signin').onsubmit = (e) => {
    e.preventDefault();
    submit({ adminToken: main.querySelector('#admin-token').value });
  };
  main.querySelector('#account').focus();
  return h;
}
