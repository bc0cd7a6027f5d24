// The admin API from the browser: JSON, the session cookie, and the CSRF token on every write.
let csrf = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.details = body?.error?.details ?? [];
  }
}

export function setCsrf(token) { csrf = token; }

export async function api(method, path, body, { raw = false, headers = {} } = {}) {
  const opts = { method, headers: { ...headers }, credentials: 'same-origin' };
  if (method !== 'GET' && csrf) opts.headers['X-CSRF-Token'] = csrf;
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const res = await fetch('/api/v1' + path, opts);
  if (raw) {
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    return res;
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Escapes text for innerHTML templates. */
export function h(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export function toast(message, { action, onAction, error = false } = {}) {
  const el = document.getElementById('toast');
  el.className = error ? 'show error' : 'show';
  el.innerHTML = `<span>${h(message)}</span>` + (action ? ` <button type="button" class="link" id="toast-action">${h(action)}</button>` : '');
  if (action) document.getElementById('toast-action').onclick = () => { el.className = ''; onAction(); };
  clearTimeout(el._t);
  el._t = setTimeout(() => { el.className = ''; }, action ? 10000 : 4000);
}

export function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}
