// Shared lookup for every vendor: query mapping, search, reverse lookup, groups, sorting,
// paging, rendering and caching. Nothing here knows a vendor by name.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { AppContext } from '../app-context.ts';
import type { Account } from '../domain/account-schemas.ts';
import type { Criterion } from '../store/store.ts';
import { buildEntries, clean, type PhonebookModel } from './phonebook-model.ts';
import type { Vendor } from './vendor-registry.ts';

export interface PhonebookQuery {
  search: string;
  number: string;
  page: number;
  first: number | null;
  count: number | null;
  group: string;
  view: string;
}

export interface Rendered {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  contentType: string;
}

type Params = Record<string, string | undefined>;

export function readQuery(vendor: Vendor, params: Params): PhonebookQuery {
  const d = vendor.descriptor;
  const pick = (names: string[], extra: string[] = []) => {
    for (const n of [...names, ...extra]) {
      const v = params[n];
      if (v !== undefined && v !== '') return v;
    }
    return '';
  };
  let search = pick(d.params.search).replace(/\*/g, '').trim();
  if (d.emptySearchValues.includes(search)) search = '';
  const num = (s: string) => (s === '' || !/^\d+$/.test(s) ? null : Number(s));
  return {
    search,
    number: pick(d.params.number).replace(/\*/g, '').trim(),
    page: Math.max(1, num(pick(d.params.page)) ?? 1),
    first: num(pick(d.params.first)),
    count: num(pick(d.params.count)),
    group: pick(d.params.group, ['group']),
    view: pick(d.params.view),
  };
}

export class PhonebookService {
  private readonly cache = new Map<string, Rendered>();
  constructor(private readonly ctx: AppContext) {}

  /** ETag for a request, known from the account revision alone (no rendering, no store read). */
  etag(account: Account, vendor: Vendor, q: PhonebookQuery): string {
    const h = createHash('sha1').update(`${vendor.descriptor.vendor}\u0000${JSON.stringify(q)}`).digest('base64url').slice(0, 16);
    return `"pb${account.revision}-${h}"`;
  }

  render(account: Account, vendor: Vendor, q: PhonebookQuery, urls: { self: string; base: string }): Rendered {
    const etag = this.etag(account, vendor, q);
    const key = `${account.id}\u0000${etag}\u0000${urls.self}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const model = this.model(account, vendor, q, urls);
    const template = vendor.templates[q.view] ?? vendor.templates.default;
    const body = Buffer.from(template(model), 'utf8');
    const rendered: Rendered = { body, gzip: gzipSync(body), etag, contentType: vendor.descriptor.contentType };
    if (this.cache.size >= this.ctx.config.phonebook.cacheEntries) this.cache.clear();
    if (this.ctx.config.phonebook.cacheEntries > 0) this.cache.set(key, rendered);
    return rendered;
  }

  private model(account: Account, vendor: Vendor, q: PhonebookQuery, urls: { self: string; base: string }): PhonebookModel {
    const d = vendor.descriptor;
    const where: Criterion[] = [];
    if (q.search) where.push({ or: [{ words: q.search }, { name: 'displayName', op: 'prefix', value: q.search }] });
    if (q.number) {
      const digits = q.number.replace(/\D/g, '');
      where.push(digits.length >= this.ctx.config.numbers.minTailDigits
        ? { or: [{ number: 'any', op: 'eq', value: q.number }, { number: 'any', op: 'suffix', value: digits }] }
        : { number: 'any', op: 'eq', value: q.number });
    }
    if (q.group) where.push({ group: q.group });
    const { contacts } = this.ctx.store.queryContacts(account.id, {
      visibility: { shared: true, users: account.settings.showUsersInDirectory, personalOf: null },
      where: where.length ? { and: where } : { all: true },
      sort: 'name',
      limit: 1_000_000,
    });
    const all = buildEntries(contacts, account, d);
    // paging: by page number, or by first/count (1-based) when the phone sends those
    let start = 0;
    let size = d.pageSize > 0 ? d.pageSize : all.length;
    if (q.first !== null || q.count !== null) {
      start = Math.max(0, (q.first ?? 1) - 1);
      size = q.count ?? (d.pageSize || all.length);
    } else if (d.pageSize > 0) {
      start = (q.page - 1) * d.pageSize;
    }
    size = Math.max(size, 0);
    const entries = all.slice(start, start + size);
    const pages = d.pageSize > 0 ? Math.max(1, Math.ceil(all.length / d.pageSize)) : 1;
    const page = d.pageSize > 0 ? Math.floor(start / d.pageSize) + 1 : 1;
    const link = (p: number) => withParam(urls.self, d.params.page[0] ?? 'page', String(p));
    return {
      title: clean(account.name),
      account: { id: account.id, name: clean(account.name) },
      entries,
      groups: this.ctx.store.listGroups(account.id).map((g) => ({ name: clean(g.name), url: withParam(urls.base, 'group', g.name) })),
      search: clean(q.search),
      total: all.length,
      paging: {
        page, pages, first: entries.length ? start + 1 : 0, last: start + entries.length, count: entries.length,
        prevUrl: d.pageSize > 0 && page > 1 ? link(page - 1) : null,
        nextUrl: d.pageSize > 0 && page < pages ? link(page + 1) : null,
        selfUrl: urls.self,
        searchUrl: urls.base,
      },
    };
  }
}

function withParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}
