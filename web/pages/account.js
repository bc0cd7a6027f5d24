// My password: change it (the current one is always asked for). The change signs out every other
// browser; the checkbox decides whether the app passwords (phones, laptops) keep working.
import { api, h, toast } from '../api.js';

export async function accountPage(main, state) {
  const user = state.me.user;
  const url = `/accounts/${encodeURIComponent(state.accountId)}/users/${encodeURIComponent(user.id)}`;
  main.innerHTML = `
  <section class="card narrow">
    <h1>My password</h1>
    <p class="muted">Signed in as <strong>${h(user.username)}</strong>. Changing your password signs out your other browsers.</p>
    <form id="pw-form">
      <div class="field"><label for="pw-current">Current password</label><input id="pw-current" type="password" autocomplete="current-password" required></div>
      <div class="field"><label for="pw-new">New password</label><input id="pw-new" type="password" autocomplete="new-password" minlength="8" maxlength="256" required></div>
      <div class="field"><label for="pw-repeat">New password again</label><input id="pw-repeat" type="password" autocomplete="new-password" minlength="8" maxlength="256" required></div>
      <div class="field"><label class="inline"><input id="pw-keep-apps" type="checkbox"> Keep my app passwords working (apps on phones and laptops stay signed in)</label></div>
      <p class="error" id="pw-error" role="alert"></p>
      <button type="submit">Change password</button>
    </form>
  </section>`;
  const $ = (s) => main.querySelector(s);
  $('#pw-form').onsubmit = async (e) => {
    e.preventDefault();
    $('#pw-error').textContent = '';
    if ($('#pw-new').value !== $('#pw-repeat').value) { $('#pw-error').textContent = 'The new passwords do not match.'; return; }
    const keepAppPasswords = $('#pw-keep-apps').checked;
    try {
      await api('PATCH', url, { password: $('#pw-new').value, currentPassword: $('#pw-current').value, keepAppPasswords });
      $('#pw-form').reset();
      toast(keepAppPasswords ? 'Password changed. Your other browsers were signed out.' : 'Password changed. Your other browsers were signed out and your app passwords revoked.');
    } catch (err) {
      $('#pw-error').textContent = err.message;
    }
  };
}
