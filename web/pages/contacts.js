// Contacts (every user): shared contacts, my personal contacts and colleagues in one list.
// Shared entries are read-only here; personal ones can be added, edited and deleted.
import { api, debounce, h, toast } from '../api.js';
import { openContactForm } from './contact-form.js';
import { contactRows, displayName } from './contact-table.js';

export async function contactsPage(main) {
  const view = { source: 'all', q: '', items: [] };
  main.innerHTML = `
  <section class="card">
    <div class="page-head"><h1>Contacts</h1><button type="button" id="add">Add personal contact</button></div>
    <div class="toolbar">
      <div class="segmented" role="group" aria-label="Show">
        ${['all', 'shared', 'personal', 'users'].map((s) => `<button type="button" data-source="${s}" aria-pressed="${s === 'all'}">${{ all: 'All', shared: 'Shared', personal: 'Personal', users: 'Users' }[s]}</button>`).join('')}
      </div>
      <div class="tool grow"><label for="q">Search</label><input id="q" type="search" placeholder="Name, company or number"></div>
    </div>
    <div class="table-wrap"><table>
      <thead><tr><th>Name</th><th>Company</th><th>Numbers</th><th>Email</th><th>Groups</th><th>Source</th><th><span class="sr-only">Actions</span></th></tr></thead>
      <tbody id="rows"></tbody>
    </table></div>
    <p class="muted" id="count"></p>
  </section>`;
  const $ = (s) => main.querySelector(s);
  let loads = 0;
  async function load() {
    // only the newest request's answer is shown (a search typed, then a source chosen)
    const mine = ++loads;
    const page = await api('GET', `/me/directory?${new URLSearchParams({ source: view.source, q: view.q, limit: '200' })}`);
    if (mine !== loads) return;
    view.items = page.items;
    $('#rows').innerHTML = contactRows(page.items, { showSource: true, canEdit: (c) => c.source === 'personal' });
    $('#count').textContent = `${page.total} contact(s)`;
  }
  const edit = (contact) => openContactForm({ basePath: '/me/contacts', contact, withGroups: false, onSaved: load });
  $('#add').onclick = () => edit(null);
  $('#q').oninput = debounce(() => { view.q = $('#q').value; load(); }, 200);
  for (const b of main.querySelectorAll('[data-source]')) {
    b.onclick = () => {
      view.source = b.dataset.source;
      for (const x of main.querySelectorAll('[data-source]')) x.setAttribute('aria-pressed', String(x === b));
      load();
    };
  }
  $('#rows').onclick = async (e) => {
    const row = e.target.closest('tr[data-id]');
    if (!row) return;
    const c = view.items.find((x) => x.id === row.dataset.id);
    if (e.target.classList.contains('edit')) edit(c);
    if (e.target.classList.contains('delete')) {
      if (!confirm(`Delete ${displayName(c)} from your personal contacts?`)) return;
      await api('DELETE', `/me/contacts/${c.id}`);
      await load();
      toast(`${displayName(c)} deleted.`);
    }
  };
  await load();
  return h;
}
