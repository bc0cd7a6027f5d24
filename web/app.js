// The portal shell: who is signed in, navigation, and hash routes to pages.
import { api, ApiError, h, setCsrf } from './api.js';
import { signInPage } from './pages/signin.js';
import { contactsPage } from './pages/contacts.js';
import { sharedPage } from './pages/shared.js';
import { groupsPage } from './pages/groups.js';
import { phonesPage } from './pages/phones.js';
import { historyPage } from './pages/history.js';
import { accountPage } from './pages/account.js';

export const state = { me: null, accountId: null, canManage: false };

const PAGES = {
  contacts: { title: 'Contacts', render: contactsPage, user: true },
  shared: { title: 'Shared Contacts', render: sharedPage, manager: true },
  groups: { title: 'Groups', render: groupsPage, manager: true },
  // Every user: the "Mobile and desktop apps" part; managers also get phone credentials and vendors.
  phones: { title: 'Phone set-up', render: phonesPage },
  history: { title: 'Change history', render: historyPage, manager: true },
  account: { title: 'My password', render: accountPage, user: true },
};

async function loadMe() {
  try {
    const s = await api('GET', '/session');
    if (!s.signedIn) { state.me = null; return; }
    setCsrf(s.csrf);
    state.me = await api('GET', '/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { state.me = null; return; }
    throw err;
  }
  if (state.me.platform) {
    const saved = sessionStorage.getItem('dialbook.account');
    const ids = state.me.accounts.map((a) => a.id);
    state.accountId = ids.includes(saved) ? saved : ids[0] ?? null;
    state.canManage = true;
  } else {
    state.accountId = state.me.account.id;
    state.canManage = state.me.canManageShared;
  }
}

function renderChrome(current) {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!state.me) { nav.innerHTML = ''; who.innerHTML = ''; return; }
  const links = Object.entries(PAGES)
    .filter(([, p]) => (p.user ? !state.me.platform : true) && (!p.manager || state.canManage))
    .map(([key, p]) => `<a href="#/${key}" ${key === current ? 'aria-current="page"' : ''}>${h(p.title)}</a>`).join('');
  nav.innerHTML = links;
  const name = state.me.platform ? 'Platform admin' : `${state.me.user.name} · ${state.me.account.name}`;
  const switcher = state.me.platform
    ? `<label class="inline">Account <select id="account-switch">${state.me.accounts.map((a) => `<option value="${h(a.id)}" ${a.id === state.accountId ? 'selected' : ''}>${h(a.name)}</option>`).join('')}</select></label>`
    : '';
  who.innerHTML = `${switcher}<span>${h(name)}</span> <button type="button" class="secondary" id="signout">Sign out</button>`;
  document.getElementById('signout').onclick = async () => {
    await api('DELETE', '/session');
    state.me = null;
    location.hash = '#/signin';
  };
  const sw = document.getElementById('account-switch');
  if (sw) sw.onchange = () => { state.accountId = sw.value; sessionStorage.setItem('dialbook.account', sw.value); route(); };
}

export async function route() {
  // Each page renders into an element of its own: a page left while its requests are still out
  // then writes their answers into its own, detached element, not into the page shown now.
  const main = document.createElement('div');
  document.getElementById('main').replaceChildren(main);
  const key = (location.hash.replace(/^#\//, '') || '').split('?')[0];
  if (!state.me) await loadMe();
  if (!state.me) {
    renderChrome(null);
    document.title = 'Sign in · dialbook';
    return signInPage(main, async () => {
      await loadMe();
      const home = state.canManage ? '#/shared' : '#/contacts';
      // a new hash routes by itself (hashchange); routing here as well would load the page twice
      if (location.hash === home) route();
      else location.hash = home;
    });
  }
  let page = PAGES[key];
  if (!page || (page.manager && !state.canManage) || (page.user && state.me.platform)) {
    location.replace(state.canManage ? '#/shared' : '#/contacts');
    page = PAGES[state.canManage ? 'shared' : 'contacts'];
  }
  renderChrome(key in PAGES ? key : null);
  document.title = `${page.title} · dialbook`;
  if (!state.accountId) { main.innerHTML = '<p>No accounts yet.</p>'; return; }
  await page.render(main, state);
}

window.addEventListener('hashchange', () => route());
route().catch((err) => { document.getElementById('main').textContent = `Something went wrong: ${err.message}`; });
