// Shared Contacts (managers): search, group filter, sort, paging, add/edit/delete with undo,
// bulk group assignment, export and import with a dry-run preview.
import { api, debounce, h, toast } from '../api.js';
import { openContactForm } from './contact-form.js';
import { contactRows, displayName } from './contact-table.js';

const PAGE = 50;
const SOURCE_NAMES = { columns: 'a spreadsheet with named columns', google: 'a Google Contacts export', outlook: 'an Outlook export', vcard: 'vCards' };
const FIELD_NAMES = {
  id: 'ID', firstName: 'First name', lastName: 'Last name', company: 'Company', title: 'Title', workNumber: 'Work number',
  mobileNumber: 'Mobile number', homeNumber: 'Home number', faxNumber: 'Fax number', email: 'Email', groups: 'Groups', number: 'Number',
};
const EDITABLE = ['firstName', 'lastName', 'company', 'title', 'workNumber', 'mobileNumber', 'homeNumber', 'faxNumber', 'email', 'groups'];

export async function sharedPage(main, state) {
  const base = `/accounts/${encodeURIComponent(state.accountId)}/contacts`;
  // Paging by keyset cursor: `cursors` holds the "after" of every page up to the current one
  // ('' for the first), so Previous goes back and Next costs the same at any depth.
  const view = { q: '', group: '', sort: 'name', offset: 0, cursors: [''], next: null, items: [], total: 0, groups: [] };
  main.innerHTML = `
  <section class="card">
    <div class="page-head"><h1>Shared Contacts</h1><button type="button" id="add">Add Shared Contact</button></div>
    <div class="toolbar">
      <div class="tool grow"><label for="q">Search</label><input id="q" type="search" placeholder="Name, company or number"></div>
      <div class="tool"><label for="group">Group</label><select id="group"><option value="">All groups</option></select></div>
      <div class="tool"><label for="sort">Sort by</label><select id="sort"><option value="name">Name</option><option value="company">Company</option></select></div>
    </div>
    <div class="toolbar bulk">
      <div class="tool"><label for="bulk-group">Selected contacts: add to group</label><select id="bulk-group"></select></div>
      <button type="button" class="secondary" id="bulk-apply">Add to group</button>
    </div>
    <div class="table-wrap"><table>
      <thead><tr><th><span class="sr-only">Select</span></th><th>Name</th><th>Company</th><th>Numbers</th><th>Email</th><th>Groups</th><th><span class="sr-only">Actions</span></th></tr></thead>
      <tbody id="rows"></tbody>
    </table></div>
    <div class="pager"><button type="button" class="secondary" id="prev">Previous</button><span id="range"></span><button type="button" class="secondary" id="next">Next</button></div>
  </section>
  <section class="card two-col">
    <div>
      <h2>Export</h2>
      <div class="toolbar">
        <div class="tool"><label for="export-group">Contacts</label><select id="export-group"><option value="">All contacts</option></select></div>
        <div class="tool"><label for="export-format">Format</label><select id="export-format"><option value="csv">CSV</option><option value="xlsx">Excel</option><option value="vcf">vCard</option></select></div>
        <button type="button" class="secondary" id="export">Export</button>
      </div>
    </div>
    <div>
      <h2>Import</h2>
      <div class="toolbar">
        <div class="tool grow"><label for="import-file">Spreadsheet or address book (CSV, Excel, Google or Outlook CSV, vCard)</label><input id="import-file" type="file" accept=".csv,.tsv,.txt,.xlsx,.vcf,text/csv,text/vcard"></div>
        <button type="button" class="secondary" id="import-preview">Preview</button>
      </div>
      <div id="import-result" aria-live="polite"></div>
    </div>
  </section>`;
  const $ = (sel) => main.querySelector(sel);

  async function loadGroups() {
    view.groups = (await api('GET', `/accounts/${encodeURIComponent(state.accountId)}/groups`)).items;
    const opts = view.groups.map((g) => `<option value="${h(g.name)}">${h(g.name)} (${g.contactCount})</option>`).join('');
    $('#group').innerHTML = `<option value="">All groups</option>${opts}`;
    $('#group').value = view.group;
    $('#export-group').innerHTML = `<option value="">All contacts</option>${opts}`;
    $('#bulk-group').innerHTML = view.groups.map((g) => `<option value="${h(g.name)}">${h(g.name)}</option>`).join('') || '<option value="">(no groups yet)</option>';
  }

  let loads = 0;
  async function load() {
    // a search typed, then a group chosen: only the newest request's answer is shown
    const mine = ++loads;
    const params = new URLSearchParams({ q: view.q, sort: view.sort, limit: String(PAGE) });
    const after = view.cursors[view.cursors.length - 1];
    if (after) params.set('after', after);
    if (view.group) params.set('group', view.group);
    const page = await api('GET', `${base}?${params}`);
    if (mine !== loads) return;
    view.items = page.items;
    view.total = page.total;
    view.next = page.next;
    view.offset = (view.cursors.length - 1) * PAGE;
    $('#rows').innerHTML = contactRows(page.items, { selectable: true, canEdit: () => true });
    const to = Math.min(view.offset + PAGE, view.total);
    $('#range').textContent = view.total ? `${view.offset + 1}–${to} of ${view.total}` : '0 contacts';
    $('#prev').disabled = view.offset === 0;
    $('#next').disabled = !view.next || to >= view.total;
  }

  const reload = async () => { await Promise.all([load(), loadGroups()]); };
  const edit = (contact) => openContactForm({ basePath: base, contact, groups: view.groups, onSaved: reload });

  $('#add').onclick = () => edit(null);
  const restart = () => { view.cursors = ['']; load(); };
  $('#q').oninput = debounce(() => { view.q = $('#q').value; restart(); }, 200);
  $('#group').onchange = () => { view.group = $('#group').value; restart(); };
  $('#sort').onchange = () => { view.sort = $('#sort').value; restart(); };
  $('#prev').onclick = () => { if (view.cursors.length > 1) view.cursors.pop(); load(); };
  $('#next').onclick = () => { if (view.next) { view.cursors.push(view.next); load(); } };

  $('#rows').onclick = async (e) => {
    const row = e.target.closest('tr[data-id]');
    if (!row) return;
    const contact = view.items.find((c) => c.id === row.dataset.id);
    if (e.target.classList.contains('edit')) edit(contact);
    if (e.target.classList.contains('delete')) {
      if (!confirm(`Delete ${displayName(contact)}? Every phone loses this contact at its next refresh.`)) return;
      await api('DELETE', `${base}/${contact.id}`, undefined, { headers: { 'If-Match': `"r${contact.revision}"` } });
      await reload();
      const copy = Object.fromEntries(EDITABLE.map((k) => [k, contact[k]]));
      toast(`${displayName(contact)} deleted.`, {
        action: 'Undo',
        onAction: async () => { await api('POST', base, copy); await reload(); toast(`${displayName(contact)} restored.`); },
      });
    }
  };

  $('#bulk-apply').onclick = async () => {
    const group = $('#bulk-group').value;
    const ids = [...main.querySelectorAll('.select:checked')].map((el) => el.value);
    if (!group || ids.length === 0) return toast('Choose a group and select some contacts first.', { error: true });
    for (const id of ids) {
      const c = view.items.find((x) => x.id === id);
      if (c.groups.includes(group)) continue;
      await api('PATCH', `${base}/${id}`, { groups: [...c.groups, group] });
    }
    await reload();
    toast(`${ids.length} contact(s) added to ${group}.`);
  };

  $('#export').onclick = () => {
    const params = new URLSearchParams({ format: $('#export-format').value });
    if ($('#export-group').value) params.set('group', $('#export-group').value);
    const a = document.createElement('a');
    a.href = `/api/v1${base}/export?${params}`;
    a.download = '';
    document.body.append(a);
    a.click();
    a.remove();
  };

  const sendImport = (dryRun) => {
    const file = $('#import-file').files[0];
    const form = new FormData();
    form.append('file', file);
    return api('POST', `${base}/import?mode=upsert&onError=skip&dryRun=${dryRun}`, form);
  };
  $('#import-preview').onclick = async () => {
    const out = $('#import-result');
    if (!$('#import-file').files[0]) return void (out.innerHTML = '<p class="error">Choose a file first.</p>');
    try {
      const r = await sendImport(true);
      const c = r.counts;
      const problems = (list, cls, caption) => (list.length ? `<table class="${cls}"><caption>${caption}</caption><thead><tr><th>Row</th><th>Column</th><th>Value</th><th>Reason</th></tr></thead><tbody>
            ${list.map((e) => `<tr><td>${h(e.row)}</td><td>${h(e.field)}</td><td>${h(e.value)}</td><td>${h(e.reason)}</td></tr>`).join('')}</tbody></table>` : '');
      out.innerHTML = `
        <div class="preview">
          <p><strong>Preview:</strong> ${c.created} to create, ${c.updated} to update, ${c.unchanged} unchanged, ${c.skipped} skipped.</p>
          <p class="muted" id="import-source">Read as ${h(SOURCE_NAMES[r.source] ?? r.source)}.</p>
          <details class="mapping"><summary>Columns used (${r.mapping.length})</summary><ul>
            ${r.mapping.map((m) => `<li>${h(m.column)} → ${h(FIELD_NAMES[m.field.split(' ')[0]] ?? m.field)}${m.field.includes(' ') ? ' ' + h(m.field.slice(m.field.indexOf(' ') + 1)) : ''}</li>`).join('')}</ul></details>
          ${problems(r.errors, 'errors', `${r.errorCount} row error(s): these rows are skipped`)}
          ${problems(r.warnings, 'warnings', `${r.warningCount} warning(s): these rows are imported`)}
          <button type="button" id="import-confirm">Import ${c.created + c.updated} contact(s)</button>
        </div>`;
      $('#import-confirm').onclick = async () => {
        const done = await sendImport(false);
        out.innerHTML = `<p class="success" role="status">Import done: ${done.counts.created} created, ${done.counts.updated} updated, ${done.counts.unchanged} unchanged, ${done.counts.skipped} skipped.</p>`;
        await reload();
      };
    } catch (err) {
      out.innerHTML = `<p class="error">${h(err.message)}</p>`;
    }
  };

  await reload();
  $('#q').focus();
}
