// Search: resolve the base DN to what the bound connection may see, translate the filter, ask
// the in-memory directory (src/directory/), and send entries with size limits, paging and sorting.
// The protocol layer (protocol/) hands requests in already decoded and writes what the response
// collects in one go.
import type { AppContext } from '../app-context.ts';
import { LdapCode } from '../errors.ts';
import { gauge } from '../ops/metrics.ts';
import type { Account } from '../domain/account-schemas.ts';
import type { ContactSort } from '../domain/contact-schemas.ts';
import type { ContactRef, Criterion, Visibility } from '../store/store.ts';
import { type Attributes, operationalAttributes, selectAttributes, userAttributes } from './ldap-entries.ts';
import { type DirectoryNames } from './ldap-dn.ts';
import { type LdapFilter, translateFilter } from './ldap-filter.ts';
import { type ControlLike, pagingCookie, pagingResponse, readControls, sortResponse, SUPPORTED_CONTROLS } from './ldap-controls.ts';
import { sessionOf } from './ldap-session.ts';
import { vlvResponse, type VlvRequest } from './ldap-vlv.ts';
import { EntryCache, encodeEntry, frame, frameAll, selectionKey } from './ldap-entry-cache.ts';
import type { ResponseControl } from './protocol/messages.ts';

export interface SearchRequestLike {
  dn: { toString(): string };
  scope: string | number;
  filter: LdapFilter;
  attributes: string[];
  sizeLimit: number;
  timeLimit: number;
  typesOnly: boolean;
  controls: ControlLike[];
  connection: object;
}

export interface SearchResponseLike {
  messageId: number;
  /** Controls sent with the SearchResultDone. */
  addControl(control: ResponseControl): void;
  /** Framed entries; everything written is sent together with the result, in one socket write. */
  write(data: Buffer): void;
  end(status: number, message?: string): void;
}

export function searchHandler(ctx: AppContext, names: DirectoryNames) {
  const cfg = ctx.config.ldap;
  const cache = new EntryCache(cfg.entryCacheBytes);
  gauge(ctx.metrics, 'dialbook_ldap_entry_cache_bytes', 'Bytes held by the LDAP encoded-entry cache', () => cache.size.bytes);
  gauge(ctx.metrics, 'dialbook_ldap_entry_cache_entries', 'Entries held by the LDAP encoded-entry cache', () => cache.size.entries);

  function sendEntry(req: SearchRequestLike, res: SearchResponseLike, dn: string, attrs: Attributes): void {
    res.write(frame(res.messageId, encodeEntry(dn, attrs, req.typesOnly)));
  }

  function fail(res: SearchResponseLike, code: number, message: string): void {
    res.end(code, message);
  }

  function rootDse(req: SearchRequestLike, res: SearchResponseLike): void {
    const attrs: Attributes = {
      objectClass: ['top'],
      namingContexts: [names.suffix],
      supportedLDAPVersion: ['3'],
      supportedControl: SUPPORTED_CONTROLS,
      supportedExtension: cfg.tlsCert && cfg.tlsKey ? ['1.3.6.1.4.1.1466.20037'] : [],
      vendorName: ['dialbook'],
      vendorVersion: ['0.1.0'],
    };
    if (attrs.supportedExtension.length === 0) delete attrs.supportedExtension;
    // The root DSE's attributes are operational ("+"), but phones and tools often ask with no
    // list or "*": give them all then too.
    const wanted = req.attributes.map((a) => a.toLowerCase());
    const all = wanted.length === 0 || wanted.includes('*') || wanted.includes('+');
    sendEntry(req, res, '', selectAttributes(all ? ['*'] : req.attributes, attrs, () => ({})));
  }

  return async (req: SearchRequestLike, res: SearchResponseLike): Promise<void> => {
    const started = Date.now();
    const base = names.parse(req.dn.toString());
    const scope = normalizeScope(req.scope);
    if (base.kind === 'root') {
      if (scope === 'base') rootDse(req, res);
      return res.end(LdapCode.success);
    }
    if (base.kind === 'outside' || base.kind === 'bindName') return fail(res, LdapCode.noSuchObject, 'No such entry in this directory');

    const session = sessionOf(req.connection);
    const accountId = base.kind === 'suffix' ? session?.accountId : base.accountId;
    if (!accountId) return res.end(LdapCode.success); // anonymous at the suffix: nothing to show
    const account = await ctx.directory.account(accountId);
    const allowed = account && (session ? session.accountId === accountId && session.incarnation === account.incarnation : account.settings.ldapAnonymous);
    // Another account's subtree does not exist as far as this connection can tell.
    if (!account || !allowed) return fail(res, LdapCode.noSuchObject, 'No such entry in this directory');

    const controls = readControls(req.controls ?? []);
    if (controls.invalid) return fail(res, LdapCode.protocolError, controls.invalid);
    if (controls.unsupportedCritical) return fail(res, LdapCode.unavailableCriticalExtension, controls.unsupportedCritical);

    if (base.kind === 'suffix' && scope === 'base') {
      sendEntry(req, res, names.suffix, selectAttributes(req.attributes, { objectClass: ['top', 'dcObject', 'organization'], dc: [names.suffix.split(',')[0].slice(3)], o: ['dialbook'] }, () => ({})));
      return res.end(LdapCode.success);
    }
    if (base.kind === 'account' && scope === 'base') {
      sendEntry(req, res, names.account(account.id), selectAttributes(req.attributes, { objectClass: ['top', 'organization'], o: [account.id], description: [account.name] }, () => ({})));
      return res.end(LdapCode.success);
    }
    if (base.kind === 'entry' && scope === 'one') return res.end(LdapCode.success); // entries are leaves

    const visibility: Visibility = { shared: true, users: account.settings.showUsersInDirectory, personalOf: session?.userId ?? null, dialable: true };
    let where: Criterion = translateFilter(req.filter, ctx.config.numbers.minTailDigits);
    if (base.kind === 'entry') where = { and: [{ id: base.entryId }, where] };

    if (controls.vlv) return vlvSearch(req, res, account, visibility, where, controls.sort, controls.vlv);

    const sizeLimit = Math.min(req.sizeLimit > 0 ? req.sizeLimit : cfg.maxSizeLimit, cfg.maxSizeLimit);
    const paging = controls.paging && controls.paging.size > 0 ? controls.paging : null;
    const offset = paging?.offset ?? 0;
    const want = paging ? Math.min(paging.size, sizeLimit) : sizeLimit;
    const refs = await ctx.directory.queryContactRefs(account.id, { visibility, where, sort: controls.sort ?? 'name', limit: want + 1, offset });
    const timeLimitMs = Math.min(req.timeLimit > 0 ? req.timeLimit * 1000 : cfg.maxTimeLimitMs, cfg.maxTimeLimitMs);
    if (Date.now() - started > timeLimitMs) return fail(res, LdapCode.timeLimitExceeded, 'Time limit exceeded');

    const more = refs.length > want;
    await sendContacts(req, res, account, refs.slice(0, want));
    if (controls.sort) res.addControl(sortResponse(LdapCode.success));
    if (paging) {
      res.addControl(pagingResponse(pagingCookie(more ? offset + want : null)));
      return res.end(LdapCode.success);
    }
    if (more) return fail(res, LdapCode.sizeLimitExceeded, `More than ${want} entries match`);
    res.end(LdapCode.success);
  };

  /** One window of a sorted list: beforeCount entries before the target, afterCount after. */
  async function vlvSearch(req: SearchRequestLike, res: SearchResponseLike, account: Account, visibility: Visibility, where: Criterion,
    sort: ContactSort | null, vlv: VlvRequest): Promise<void> {
    if (!sort) {
      res.addControl(vlvResponse(0, 0, LdapCode.sortControlMissing));
      return fail(res, LdapCode.sortControlMissing, 'Virtual list view needs a server-side sort control');
    }
    const total = (await ctx.directory.queryContacts(account.id, { visibility, where, limit: 1, withTotal: true })).total ?? 0;
    let position: number; // 1-based
    if ('offset' in vlv.target) {
      const { offset, contentCount } = vlv.target;
      position = contentCount > 0 && contentCount !== total ? Math.round(((offset - 1) * total) / contentCount) + 1 : offset;
    } else {
      const before = (await ctx.directory.queryContacts(account.id, {
        visibility, where: { and: [where, { not: translateFilter({ type: 'GreaterThanEqualsFilter', attribute: 'sn', value: vlv.target.greaterThanOrEqual }, 0) }] },
        limit: 1, withTotal: true,
      })).total ?? 0;
      position = before + 1;
    }
    position = Math.max(1, Math.min(position, total + 1));
    const start = Math.max(0, position - 1 - vlv.beforeCount);
    const count = Math.min(vlv.beforeCount + vlv.afterCount + 1, cfg.maxSizeLimit);
    await sendContacts(req, res, account, await ctx.directory.queryContactRefs(account.id, { visibility, where, sort, limit: count, offset: start }));
    res.addControl(sortResponse(LdapCode.success));
    res.addControl(vlvResponse(position, total, 0));
    res.end(LdapCode.success);
  }

  /**
   * All entries of a response in one socket write. Entries are encoded once per contact revision
   * and attribute selection; the read model is asked for whole contacts only for entries not cached.
   */
  async function sendContacts(req: SearchRequestLike, res: SearchResponseLike, account: Account, refs: ContactRef[]): Promise<void> {
    if (refs.length === 0) return;
    // null: a selection longer than phones send, answered but never cached
    const selection = selectionKey(req.attributes, req.typesOnly);
    const group = selection === null ? null : cache.group(account.id, account.incarnation, selection);
    const bodies = refs.map((r) => (group ? cache.get(group, r.id, r.revision, account.revision) : undefined));
    const missing = refs.filter((_r, i) => !bodies[i]);
    if (missing.length > 0) {
      const built = new Map<string, Buffer>();
      for (const c of await ctx.directory.getContactsByIds(account.id, missing.map((r) => r.id))) {
        const dn = names.entry(account.id, c.id);
        const attrs = selectAttributes(req.attributes, userAttributes(c, account), () => operationalAttributes(c, dn));
        const body = encodeEntry(dn, attrs, req.typesOnly);
        if (group) cache.put(group, c.id, c.revision, account.revision, body);
        built.set(c.id, body);
      }
      refs.forEach((r, i) => { bodies[i] ??= built.get(r.id); });
    }
    res.write(frameAll(res.messageId, bodies.filter((b): b is Buffer => b !== undefined)));
  }
}

function normalizeScope(scope: string | number): 'base' | 'one' | 'sub' {
  if (scope === 0 || scope === 'base') return 'base';
  if (scope === 1 || scope === 'one') return 'one';
  return 'sub';
}
