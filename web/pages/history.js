// Change history: the account's audit log, newest first.
import { api, h } from '../api.js';

const describe = (e) => {
  const v = e.after ?? e.before ?? {};
  return [v.firstName, v.lastName].filter(Boolean).join(' ') || v.company || v.name || v.username || '';
};

export async function historyPage(main, state) {
  const { items } = await api('GET', `/accounts/${encodeURIComponent(state.accountId)}/audit?limit=200`);
  main.innerHTML = `
  <section class="card">
    <h1>Change history</h1>
    <div class="table-wrap"><table>
      <thead><tr><th>When</th><th>Who</th><th>What</th><th>Item</th><th>Import</th></tr></thead>
      <tbody>${items.map((e) => `<tr><td>${h(new Date(e.at).toLocaleString())}</td><td>${h(e.actor.replace(/^user:[^:]+:/, ''))}</td><td>${h(e.action)}</td><td>${h(describe(e))}</td><td class="muted">${h(e.batchId ? e.batchId.slice(0, 8) : '')}</td></tr>`).join('') || '<tr><td colspan="5" class="empty">No changes yet.</td></tr>'}</tbody>
    </table></div>
  </section>`;
}
