// Groups: create, rename, delete (contacts stay).
import { api, h, toast } from '../api.js';

export async function groupsPage(main, state) {
  const base = `/accounts/${encodeURIComponent(state.accountId)}/groups`;
  main.innerHTML = `
  <section class="card narrow">
    <h1>Groups</h1>
    <form id="create" class="toolbar"><div class="tool grow"><label for="name">New group</label><input id="name" required></div><button type="submit">Create group</button></form>
    <p class="error" id="error" role="alert"></p>
    <ul class="group-list" id="list"></ul>
  </section>`;
  const $ = (s) => main.querySelector(s);
  async function load() {
    const { items } = await api('GET', base);
    $('#list').innerHTML = items.map((g) => `
      <li data-id="${h(g.id)}" data-name="${h(g.name)}">
        <label class="grow"><span class="sr-only">Name of ${h(g.name)}</span><input class="rename" value="${h(g.name)}"></label>
        <span class="muted">${g.contactCount} contact(s)</span>
        <button type="button" class="secondary save">Rename</button>
        <button type="button" class="danger delete">Delete</button>
      </li>`).join('') || '<li class="muted">No groups yet.</li>';
  }
  const run = async (fn) => { $('#error').textContent = ''; try { await fn(); await load(); } catch (err) { $('#error').textContent = err.message; } };
  $('#create').onsubmit = (e) => { e.preventDefault(); run(async () => { await api('POST', base, { name: $('#name').value }); $('#name').value = ''; toast('Group created.'); }); };
  $('#list').onclick = (e) => {
    const li = e.target.closest('li[data-id]');
    if (!li) return;
    if (e.target.classList.contains('save')) run(async () => { await api('PATCH', `${base}/${li.dataset.id}`, { name: li.querySelector('.rename').value }); toast('Group renamed.'); });
    if (e.target.classList.contains('delete') && confirm(`Delete the group ${li.dataset.name}? Its contacts stay, without this group.`)) {
      run(async () => { await api('DELETE', `${base}/${li.dataset.id}`); toast('Group deleted.'); });
    }
  };
  await load();
}
