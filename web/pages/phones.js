// Phone set-up: phone credentials, and each vendor's provisioning lines with a copy button.
import { api, h, toast } from '../api.js';

export async function phonesPage(main, state) {
  const acct = `/accounts/${encodeURIComponent(state.accountId)}`;
  main.innerHTML = `
  <section class="card">
    <h1>Phone set-up</h1>
    <form id="creds" class="toolbar">
      <div class="tool"><label for="pu">Phone username</label><input id="pu" required autocomplete="off"></div>
      <div class="tool"><label for="pp">Phone password</label><input id="pp" type="password" required autocomplete="new-password" minlength="8"></div>
      <button type="submit" class="secondary">Save phone credentials</button>
    </form>
    <p class="error" id="error" role="alert"></p>
    <div id="vendors"></div>
  </section>`;
  const $ = (s) => main.querySelector(s);
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
