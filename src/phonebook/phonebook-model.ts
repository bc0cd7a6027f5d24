// The neutral model every template renders: names as the account wants them shown, numbers with
// labels, paging and search. Built once per request (and cached with the output); templates only
// loop and print, and the engine escapes every value.
import type { Account } from '../domain/account-schemas.ts';
import type { Contact, NumberKind } from '../domain/contact-schemas.ts';
import type { VendorDescriptor } from './vendor-descriptor.ts';
import { displayName } from '../domain/display-name.ts';

const DEFAULT_LABELS: Record<NumberKind, string> = {
  work: 'Work', mobile: 'Mobile', home: 'Home', fax: 'Fax', extension: 'Extension',
};

export interface ModelNumber { kind: NumberKind; label: string; number: string; digits: string; /** What to dial: E.164 when known, else the digits. */ dial: string }
export interface ModelEntry {
  name: string; firstName: string; lastName: string; company: string; title: string; email: string;
  groups: string[];
  numbers: ModelNumber[];
  /** Last name, or the company when there is no person's name. */
  familyName: string;
  /** The first number (entries per number carry exactly one). */
  number: string;
  label: string;
  kind: NumberKind | '';
  dial: string;
  work: string; mobile: string; home: string; fax: string; extension: string;
  /** Work number, or the extension for internal users. */
  office: string;
  phone1: string; phone2: string; phone3: string;
  index: number;
}

export interface PhonebookModel {
  title: string;
  account: { id: string; name: string };
  entries: ModelEntry[];
  groups: { name: string; url: string }[];
  search: string;
  total: number;
  paging: { page: number; pages: number; first: number; last: number; count: number; prevUrl: string | null; nextUrl: string | null; selfUrl: string; searchUrl: string };
}

// XML 1.0 cannot carry these at all, even escaped.
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function clean(text: string): string {
  return text.replace(XML_ILLEGAL, '');
}

/** Cuts to a number of characters (code points) or UTF-8 bytes without splitting a character. */
export function limit(text: string, maxChars: number, maxBytes: number): string {
  let out = maxChars > 0 ? Array.from(text).slice(0, maxChars).join('') : text;
  if (maxBytes > 0 && Buffer.byteLength(out, 'utf8') > maxBytes) {
    let bytes = 0;
    const kept: string[] = [];
    for (const ch of out) {
      const n = Buffer.byteLength(ch, 'utf8');
      if (bytes + n > maxBytes) break;
      bytes += n;
      kept.push(ch);
    }
    out = kept.join('');
  }
  return out;
}


export function buildEntries(contacts: Contact[], account: Account, d: VendorDescriptor): ModelEntry[] {
  const labels = { ...DEFAULT_LABELS, ...d.labels } as Record<string, string>;
  const cut = (s: string) => limit(clean(s), d.nameMaxChars, d.nameMaxBytes);
  const out: ModelEntry[] = [];
  const seen = new Set<string>();
  for (const c of contacts) {
    const numbers = c.numbers.map((n) => ({ kind: n.kind, label: labels[n.kind] ?? n.kind, number: clean(n.raw), digits: n.digits, dial: n.e164 ?? n.digits }));
    const first = (kind: NumberKind) => numbers.find((n) => n.kind === kind)?.number ?? '';
    const base = {
      name: cut(displayName(c, account.settings.nameFormat)),
      firstName: cut(c.firstName), lastName: cut(c.lastName), company: cut(c.company),
      title: clean(c.title), email: clean(c.email), groups: c.groups.map(clean),
      familyName: cut(c.lastName || (c.firstName ? '' : c.company)),
      work: first('work'), mobile: first('mobile'), home: first('home'), fax: first('fax'), extension: first('extension'),
      office: first('work') || first('extension'),
    };
    const perEntry = d.entryPerNumber ? numbers.map((n) => [n]) : [numbers];
    for (const ns of perEntry) {
      // Some phones key entries by number (Polycom's ct): a number already listed is skipped.
      if (d.uniqueNumbers && ns.length === 1 && seen.has(ns[0].digits)) continue;
      if (d.uniqueNumbers && ns.length === 1) seen.add(ns[0].digits);
      out.push({
        ...base, numbers: ns, number: ns[0]?.number ?? '', label: ns[0]?.label ?? '', kind: ns[0]?.kind ?? '', dial: ns[0]?.dial ?? '',
        phone1: ns[0]?.number ?? '', phone2: ns[1]?.number ?? '', phone3: ns[2]?.number ?? '', index: out.length + 1,
      });
    }
  }
  return out;
}
