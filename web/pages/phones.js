// Phone set-up: phone credentials and each vendor's provisioning lines (managers), and for every
// user the "Mobile and desktop apps" part: the CardDAV address, per-app steps and app passwords.
import { api, h, toast } from '../api.js';

export async function phonesPage(main, state) {
  const acct = `/accounts/${encodeURIComponent(state.accountId)}`;
  const user = state.me.platform ? null : state.me.user;
  main.innerHTML = `
  ${state.canManage ? `<section class="card">
    <h1>Phone set-up</h1>
    <form id="creds" class="toolbar">
      <div class="tool"><label for="pu">Phone username</label><input id="pu" required autocomplete="off"></div>
      <div class="tool"><label for="pp">Phone password</label><input id="pp" type="password" required autocomplete="new-password" minlength="8"></div>
      <button type="submit" class="secondary">Save phone credentials</button>
    </form>
    <p class="error" id="error" role="alert"></p>
    <div id="vendors"></div>
  </section>` : ''}
  ${user ? appsSection(user, state.accountId, state.canManage) : ''}`;
  const $ = (s) => main.querySelector(s);

  if (state.canManage) {
    async function load() {
      const { items } = await api('GET', `${acct}/provisioning`);
      const blocks = await Promise.all(items.map(async (v) => {
        try {
          const p = await api('GET', `${acct}/provisioning/${v.vendor}`);
          return `<article class="vendor"><div class="page-head"><h2>${h(v.title)}</h2><button type="button" class="secondary copy" data-vendor="${h(v.vendor)}">Copy</button></div><pre id="lines-${h(v.vendor)}">${h(p.text)}</pre></article>`;
        } catch (err) {
          return `<article class="vendor"><h2>${h(v.title)}</h2><p class="muted">${h(err.message)}</p></article>`;
        }
      }));
      $('#vendors').innerHTML = blocks.join('');
    }
    $('#creds').onsubmit = async (e) => {
      e.preventDefault();
      $('#error').textContent = '';
      try {
        await api('PUT', `${acct}/phone-credentials`, { username: $('#pu').value, password: $('#pp').value });
        toast('Phone credentials saved.');
        await load();
      } catch (err) { $('#error').textContent = err.message; }
    };
    $('#vendors').onclick = async (e) => {
      const b = e.target.closest('.copy');
      if (!b) return;
      const text = $(`#lines-${b.dataset.vendor}`).textContent;
      try { await navigator.clipboard.writeText(text); toast('Copied.'); } catch { toast('Select the lines and copy them.', { error: true }); }
    };
    await load();
  }
  if (user) await appPasswords(main, acct, user);
}

function appsSection(user, accountId, canManage) {
  const url = `${location.origin}/carddav/`;
  const login = `${user.username}@${accountId}`;
  return `<section class="card" id="apps">
    <h1>Mobile and desktop apps</h1>
    <p>Your address books (Shared contacts, Personal, Colleagues) sync to the contacts app of your
    phone or computer over CardDAV. Personal contacts can be added and edited there too.</p>
    <dl class="settings">
      <dt>Server</dt><dd><code id="dav-url">${h(url)}</code></dd>
      <dt>User name</dt><dd><code id="dav-user">${h(login)}</code></dd>
      <dt>Password</dt><dd>your portal password, or better an app password from below (it opens only the contacts apps, and you can revoke it if the device is lost)</dd>
    </dl>
    <h2>iPhone and iPad (iOS), Mac</h2>
    <ol>
      <li>Settings → Contacts → Accounts → Add Account → Other → <b>Add CardDAV Account</b> (Mac: System Settings → Internet Accounts → Add Other Account → CardDAV account).</li>
      <li>Server: <code>${h(location.host)}</code>, User Name: <code>${h(login)}</code>, Password: an app password. Tap Next.</li>
      <li>The Shared contacts, Personal and Colleagues lists appear in the Contacts app under Groups.</li>
    </ol>
    <h2>Android (DAVx⁵)</h2>
    <ol>
      <li>Install <b>DAVx⁵</b> (Play Store or F-Droid) and tap <b>+</b>.</li>
      <li>Choose “Login with URL and user name”. Base URL: <code>${h(url)}</code>, User name: <code>${h(login)}</code>, Password: an app password.</li>
      <li>Create the account, tick the address books to sync; they show in the phone's Contacts app.</li>
    </ol>
    <h2>Thunderbird</h2>
    <ol>
      <li>Address Book → New Address Book → <b>Add CardDAV Address Book</b>.</li>
      <li>Username: <code>${h(login)}</code>, Location: <code>${h(url)}</code>. Continue, enter an app password.</li>
      <li>Tick the address books to add.</li>
    </ol>
    <h2>App passwords</h2>
    <form id="app-pw" class="toolbar">
      <div class="tool"><label for="app-label">Device name</label><input id="app-label" maxlength="100" placeholder="e.g. iPhone" required></div>
      ${canManage ? `<div class="tool"><label for="app-kind">Kind</label><select id="app-kind">
        <option value="app-password">App password (CardDAV and LDAP only)</option><option value="api">API token (scripts: your manager role; not for apps)</option></select></div>` : ''}
      <div class="tool" id="app-reauth" hidden><label for="app-current">Your password</label><input id="app-current" type="password" autocomplete="current-password"></div>
      <button type="submit" class="secondary">Create app password</button>
    </form>
    <p id="app-new" role="status"></p>
    <p class="error" id="app-error" role="alert"></p>
    <table><thead><tr><th>Device</th><th>Kind</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody id="app-list"></tbody></table>
  </section>`;
}

async function appPasswords(main, acct, user) {
  const $ = (s) => main.querySelector(s);
  // The list shows API tokens too (managers); app passwords are made on their own route.
  const tokens = `${acct}/users/${encodeURIComponent(user.id)}/tokens`;
  const appPasswordsUrl = `${acct}/users/${encodeURIComponent(user.id)}/app-passwords`;
  async function list() {
    const { items } = await api('GET', tokens);
    $('#app-list').innerHTML = items.length === 0
      ? '<tr><td colspan="5" class="muted">No app passwords yet.</td></tr>'
      : items.map((t) => `<tr><td>${h(t.label || '(no name)')}</td><td>${t.kind === 'api' ? 'API token' : 'App password'}</td><td>${h(t.createdAt.slice(0, 10))}</td><td>${h(t.lastUsedAt ? t.lastUsedAt.slice(0, 16).replace('T', ' ') : 'never')}</td>
        <td><button type="button" class="secondary revoke" data-id="${h(t.id)}" data-label="${h(t.label)}">Revoke</button></td></tr>`).join('');
  }
  $('#app-pw').onsubmit = async (e) => {
    e.preventDefault();
    $('#app-error').textContent = '';
    const body = { label: $('#app-label').value };
    const apiToken = $('#app-kind')?.value === 'api';
    if (apiToken) body.kind = 'api';
    // Asked for only when the sign-in is older than the server's portal.reauthMinutes.
    if (!$('#app-reauth').hidden) body.currentPassword = $('#app-current').value;
    try {
      const t = await api('POST', apiToken ? tokens : appPasswordsUrl, body);
      $('#app-reauth').hidden = true;
      $('#app-current').value = '';
      $('#app-new').innerHTML = `${apiToken ? 'API token' : 'App password'} for ${h(t.label || 'this device')} (shown once, copy it now): <code id="app-secret">${h(t.token)}</code>`;
      $('#app-label').value = '';
      await list();
    } catch (err) {
      if (err.code === 'reauthentication_required') {
        $('#app-reauth').hidden = false;
        $('#app-current').focus();
        $('#app-error').textContent = 'You signed in a while ago: enter your password, then create the app password again.';
      } else {
        $('#app-error').textContent = err.message;
      }
    }
  };
  $('#app-list').onclick = async (e) => {
    const b = e.target.closest('.revoke');
    if (!b) return;
    if (!confirm(`Revoke the app password "${b.dataset.label || '(no name)'}"? Apps using it stop syncing.`)) return;
    try {
      await api('DELETE', `${acct}/tokens/${encodeURIComponent(b.dataset.id)}`);
      toast('App password revoked.');
      await list();
    } catch (err) { $('#app-error').textContent = err.message; }
  };
  await list();
}
