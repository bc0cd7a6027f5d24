// The neutral model every template renders: names as the account wants them shown, numbers in
// the form the vendor dials, paging and search. Built per request for the requested page only;
// templates only loop and print, and the registry's one XML escaper escapes every value.
import type { Account } from '../domain/account-schemas.ts';
import type { Contact, NumberKind } from '../domain/contact-schemas.ts';
import { dialableNumber, type DialForm } from '../domain/phone-number.ts';
import type { VendorDescriptor } from './vendor-descriptor.ts';
import { displayName } from '../domain/display-name.ts';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { clean } from './xml-escape.ts';

export { clean };

const DEFAULT_LABELS: Record<NumberKind, string> = {
  work: 'Work', mobile: 'Mobile', home: 'Home', fax: 'Fax', extension: 'Extension',
};

export interface ModelNumber {
  kind: NumberKind; label: string;
  /** As entered (display form): only for places that show text, never for what is dialled. */
  number: string;
  digits: string;
  /** What the phone dials and matches caller-ID against (vendor's or account's dial form). */
  dial: string;
}
export interface ModelEntry {
  /** The contact's display name. */
  name: string;
  /** The name, plus the number's label when the contact has several entries (one per number). */
  entryName: string;
  firstName: string; lastName: string; company: string; title: string; email: string;
  groups: string[];
  /** Ids of the entry's groups in model.groups (Grandstream's <Group>). */
  groupIds: number[];
  numbers: ModelNumber[];
  /** Last name, or the company when there is no person's name. */
  familyName: string;
  /** The first number's display form (entries per number carry exactly one). */
  number: string;
  label: string;
  kind: NumberKind | '';
  /** The first number, dialable. This and every field below are dial forms. */
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
  /** SIP account slot for downloaded entries (account setting phoneAccountIndex). */
  accountIndex: number;
  /** The request type the phone sent, normalised to the descriptor's typeValues (Gigaset pb/pr). */
  type: string;
  query: { search: string; number: string; group: string };
  entries: ModelEntry[];
  groups: { id: number; name: string; url: string }[];
  search: string;
  total: number;
  /** Entries were left out to stay within the vendor's size or entry limit (maxEntries, maxBodyBytes). */
  truncated: boolean;
  paging: { page: number; pages: number; first: number; last: number; count: number; prevUrl: string | null; nextUrl: string | null; selfUrl: string; searchUrl: string };
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

/** The dial form for an account and vendor: the account's setting wins over the vendor's. */
export function dialFormFor(account: Account, d: VendorDescriptor): DialForm {
  const s = account.settings.dialNumberForm;
  return s === 'e164' || s === 'national' ? s : d.dialForm;
}

/** How many entries a contact becomes for a vendor (paging counts these, not contacts). */
export function entryCount(c: Contact, d: VendorDescriptor, keepNumber?: (digits: string) => boolean): number {
  if (!d.entryPerNumber) return 1;
  return keepNumber ? c.numbers.filter((n) => keepNumber(n.digits)).length : c.numbers.length;
}

export interface BuildOptions {
  /** Index of the first entry built (1-based), for phones that number their entries. */
  firstIndex?: number;
  groupIds?: Map<string, number>;
  /**
   * Reverse lookups on phones with one entry per number: only the numbers that matched, so the
   * entry the phone takes the caller's name from is the one that called (Cisco ?n=).
   */
  keepNumber?: (digits: string) => boolean;
}

export function buildEntries(contacts: Contact[], account: Account, d: VendorDescriptor, opts: BuildOptions = {}): ModelEntry[] {
  const labels = { ...DEFAULT_LABELS, ...d.labels } as Record<string, string>;
  const form = dialFormFor(account, d);
  const drop = d.nameDropCharacters ? new RegExp(`[${d.nameDropCharacters.replace(/[\\\]^-]/g, '\\$&')}]`, 'g') : null;
  // "Álvarez & Sons" -> "Álvarez Sons": the space the character stood between is not doubled.
  const dropped = (s: string) => (drop ? s.replace(drop, '').replace(/ {2,}/g, ' ').trim() : s);
  const cut = (s: string) => limit(dropped(clean(s)), d.nameMaxChars, d.nameMaxBytes);
  const dialOf = (n: Contact['numbers'][number]) => {
    const dial = dialableNumber(n, form, account.region);
    return d.numberDigitsOnly ? phoneDigits(dial, account.region) : dial;
  };
  const fits = (n: ModelNumber) => n.dial !== '' && (d.numberMaxDigits === 0 || n.dial.length <= d.numberMaxDigits);
  const out: ModelEntry[] = [];
  const seen = new Set<string>();
  const firstIndex = opts.firstIndex ?? 1;
  const keep = opts.keepNumber;
  for (const c of contacts) {
    let numbers: ModelNumber[] = c.numbers.map((n) => ({
      kind: n.kind, label: labels[n.kind] ?? n.kind, number: clean(n.raw), digits: n.digits, dial: dialOf(n),
    }));
    if (d.numberDigitsOnly || d.numberMaxDigits > 0) numbers = numbers.filter(fits);
    const first = (kind: NumberKind) => numbers.find((n) => n.kind === kind)?.dial ?? '';
    const fullName = dropped(clean(displayName(c, account.settings.nameFormat)));
    const name = cut(fullName);
    const firstName = cut(c.firstName);
    const lastName = cut(c.lastName);
    const company = cut(c.company);
    const title = clean(c.title);
    const email = clean(c.email);
    const groups = c.groups.map(clean);
    const groupIds: number[] = [];
    for (const g of c.groups) {
      const id = opts.groupIds?.get(g);
      if (id !== undefined) groupIds.push(id);
    }
    const familyName = cut(c.lastName || (c.firstName ? '' : c.company));
    const work = first('work'); const mobile = first('mobile'); const home = first('home'); const fax = first('fax'); const extension = first('extension');
    const office = work || extension;
    const perEntry = d.entryPerNumber ? numbers.filter((n) => !keep || keep(n.digits)).map((n) => [n]) : [numbers];
    // Several entries of one contact would look the same on the phone: the label tells them apart.
    // Not in a reverse lookup: its one entry's name goes into the call screen and call history.
    const several = d.entryPerNumber && numbers.length > 1 && !keep;
    for (const ns of perEntry) {
      // Some phones key entries by number (Polycom's ct): a number already listed is skipped.
      if (d.uniqueNumbers && ns.length === 1 && seen.has(ns[0].dial)) continue;
      if (d.uniqueNumbers && ns.length === 1) seen.add(ns[0].dial);
      const n0 = ns[0];
      // One literal per entry: spreading a shared base object costs more than everything else here.
      out.push({
        name, entryName: several && n0 ? limitLabelled(fullName, n0.label, d) : name,
        firstName, lastName, company, title, email, groups, groupIds, familyName,
        work, mobile, home, fax, extension, office,
        numbers: ns, number: n0?.number ?? '', label: n0?.label ?? '', kind: n0?.kind ?? '', dial: n0?.dial ?? '',
        phone1: ns[0]?.dial ?? '', phone2: ns[1]?.dial ?? '', phone3: ns[2]?.dial ?? '', index: firstIndex + out.length,
      });
    }
  }
  return out;
}

/** "Name (Label)" within the vendor's name limit: the name is shortened, the label kept. */
function limitLabelled(name: string, label: string, d: VendorDescriptor): string {
  const suffix = ` (${label})`;
  const whole = name + suffix;
  if (limit(whole, d.nameMaxChars, d.nameMaxBytes) === whole) return whole;
  const short = limit(name,
    d.nameMaxChars > 0 ? Math.max(1, d.nameMaxChars - Array.from(suffix).length) : 0,
    d.nameMaxBytes > 0 ? Math.max(1, d.nameMaxBytes - Buffer.byteLength(suffix, 'utf8')) : 0);
  return limit(short + suffix, d.nameMaxChars, d.nameMaxBytes);
}

/**
 * A dial form in 0-9 * # only: "+44 20..." becomes the region's international prefix and the
 * number ("011442079460958" from the US, "00442079460958" from Germany); '' when the region has
 * no such prefix. Only the vendors that need it pay for libphonenumber here.
 */
export function phoneDigits(dial: string, region: string): string {
  let out = dial;
  if (out.startsWith('+')) {
    const idd = parsePhoneNumberFromString(out)?.format('IDD', { fromCountry: region as CountryCode });
    if (!idd) return '';
    out = idd;
  }
  return out.replace(/[^0-9*#]/g, '');
}
