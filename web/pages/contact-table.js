// A table of contacts, used by both list pages.
import { h } from '../api.js';

export function numbersCell(c) {
  return (c.numbers ?? []).map((n) => `<div><span class="muted">${h(n.kind)}</span> ${h(n.number)}</div>`).join('');
}

export function displayName(c) {
  return [c.firstName, c.lastName].filter(Boolean).join(' ') || c.company;
}

export function contactRows(items, { selectable = false, canEdit = () => false, showSource = false } = {}) {
  if (items.length === 0) return '<tr><td colspan="8" class="empty">No contacts match.</td></tr>';
  return items.map((c) => `
    <tr data-id="${h(c.id)}">
      ${selectable ? `<td><input type="checkbox" class="select" aria-label="Select ${h(displayName(c))}" value="${h(c.id)}"></td>` : ''}
      <td class="name">${h(displayName(c))}${c.title ? `<div class="muted">${h(c.title)}</div>` : ''}</td>
      <td>${h(c.firstName || c.lastName ? c.company : '')}</td>
      <td>${numbersCell(c)}</td>
      <td>${c.email ? `<a href="mailto:${h(c.email)}">${h(c.email)}</a>` : ''}</td>
      <td>${(c.groups ?? []).map((g) => `<span class="chip">${h(g)}</span>`).join(' ')}</td>
      ${showSource ? `<td><span class="chip source-${h(c.source)}">${h({ shared: 'Shared', personal: 'Personal', user: 'User' }[c.source] ?? c.source)}</span></td>` : ''}
      <td class="row-actions">${canEdit(c) ? `<button type="button" class="secondary edit">Edit</button> <button type="button" class="danger delete">Delete</button>` : ''}</td>
    </tr>`).join('');
}
