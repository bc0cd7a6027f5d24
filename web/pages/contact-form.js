// The Add / Edit contact dialog, shared by Shared Contacts (managers) and Contacts (personal).
// Validation messages come from the API, next to the field they name.
import { api, h } from '../api.js';

const FIELDS = [
  ['firstName', 'First name'], ['lastName', 'Last name'], ['company', 'Company'], ['title', 'Title'],
  ['workNumber', 'Work number', 'tel'], ['mobileNumber', 'Mobile number', 'tel'], ['homeNumber', 'Home number', 'tel'],
  ['faxNumber', 'Fax number', 'tel'], ['email', 'Email', 'email'],
];

/**
 * Opens the dialog. basePath: '/accounts/<a>/contacts' or '/me/contacts'. contact: null to add.
 * onSaved() runs after each save. Resolves when the dialog closes.
 */
export function openContactForm({ basePath, contact, groups = [], withGroups = true, onSaved }) {
  const dialog = document.createElement('dialog');
  dialog.className = 'contact-dialog';
  const title = contact ? 'Edit contact' : (withGroups ? 'Add Shared Contact' : 'Add contact');
  dialog.innerHTML = `
    <form method="dialog" novalidate>
      <h2>${h(title)}</h2>
      <div class="grid">
        ${FIELDS.map(([name, label, type]) => `
          <div class="field"><label for="cf-${name}">${h(label)}</label>
            <input id="cf-${name}" name="${name}" type="${type ?? 'text'}" value="${h(contact?.[name] ?? '')}" aria-describedby="cf-${name}-error">
            <span class="field-error" id="cf-${name}-error"></span></div>`).join('')}
        ${withGroups ? `<div class="field wide"><label for="cf-groups">Groups (separate with ;)</label>
          <input id="cf-groups" name="groups" list="cf-group-list" value="${h((contact?.groups ?? []).join('; '))}" aria-describedby="cf-groups-error">
          <datalist id="cf-group-list">${groups.map((g) => `<option value="${h(g.name)}">`).join('')}</datalist>
          <span class="field-error" id="cf-groups-error"></span></div>` : ''}
      </div>
      <p class="error" id="cf-error" role="alert"></p>
      <div class="actions">
        <button type="submit" value="save" id="cf-save">Save</button>
        ${contact ? '' : '<button type="submit" value="again" class="secondary" id="cf-save-another">Save and add another</button>'}
        <button type="button" value="cancel" class="secondary" id="cf-cancel">Cancel</button>
      </div>
    </form>`;
  document.body.append(dialog);
  const form = dialog.querySelector('form');
  dialog.querySelector('#cf-cancel').onclick = () => dialog.close();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => { dialog.remove(); resolve(); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const again = e.submitter?.value === 'again';
      for (const el of dialog.querySelectorAll('.field-error')) el.textContent = '';
      dialog.querySelector('#cf-error').textContent = '';
      const body = {};
      for (const [name] of FIELDS) body[name] = form.elements[name].value.trim();
      if (withGroups) body.groups = form.elements.groups.value.split(';').map((g) => g.trim()).filter(Boolean);
      try {
        if (contact) await api('PUT', `${basePath}/${contact.id}`, body, { headers: { 'If-Match': `"r${contact.revision}"` } });
        else await api('POST', basePath, body);
        await onSaved?.();
        if (again) {
          form.reset();
          for (const [name] of FIELDS) form.elements[name].value = '';
          form.elements.firstName.focus();
          dialog.querySelector('#cf-error').textContent = 'Saved. Add the next one.';
        } else dialog.close();
      } catch (err) {
        let placed = false;
        for (const d of err.details ?? []) {
          const slot = dialog.querySelector(`#cf-${d.field}-error`);
          if (slot) { slot.textContent = d.reason; placed = true; }
        }
        dialog.querySelector('#cf-error').textContent = placed ? 'Please correct the fields marked above.' : err.message;
      }
    });
    dialog.showModal();
    form.elements.firstName.focus();
  });
}
