// Which spreadsheet column feeds which contact field. Header names are matched after folding
// case, accents, spaces, dashes and underscores away, so "First Name", "first_name" and
// "FIRSTNAME" are the same column. Aliases cover what Outlook, Google Contacts and hand-made
// sheets call the fields.
import { CONTACT_FIELDS } from '../domain/contact-schemas.ts';

export type ColumnKey = 'id' | (typeof CONTACT_FIELDS)[number];

/** Column titles written on export (and always accepted on import), ID first. */
export const EXPORT_HEADERS: Record<ColumnKey, string> = {
  id: 'ID',
  firstName: 'First Name',
  lastName: 'Last Name',
  company: 'Company',
  title: 'Title',
  workNumber: 'Work Number',
  mobileNumber: 'Mobile Number',
  homeNumber: 'Home Number',
  faxNumber: 'Fax Number',
  email: 'Email',
  groups: 'Groups',
};

/** Export column order: ID, then CONTACT_FIELDS. */
export const EXPORT_COLUMNS: ColumnKey[] = ['id', ...CONTACT_FIELDS];

const ALIASES: Record<ColumnKey, string[]> = {
  id: ['id', 'contact id', 'contactid', 'uid'],
  firstName: ['first name', 'firstname', 'given name', 'givenname', 'forename', 'first', 'prenom', 'vorname'],
  lastName: ['last name', 'lastname', 'surname', 'family name', 'familyname', 'last', 'nom', 'nachname'],
  company: ['company', 'company name', 'organization', 'organisation', 'org', 'business', 'firma', 'societe', 'entreprise'],
  title: ['title', 'job title', 'jobtitle', 'position', 'role'],
  workNumber: ['work number', 'work', 'work phone', 'business phone', 'office phone', 'phone', 'phone number', 'telephone', 'tel', 'work tel', 'direct number'],
  mobileNumber: ['mobile number', 'mobile', 'mobile phone', 'cell', 'cell phone', 'cellphone', 'cellular', 'handy', 'portable'],
  homeNumber: ['home number', 'home', 'home phone', 'private phone', 'personal phone'],
  faxNumber: ['fax number', 'fax', 'business fax', 'work fax', 'fax phone'],
  email: ['email', 'e-mail', 'email address', 'e-mail address', 'mail', 'work email', 'business email', 'e-mail 1 - value', 'email 1'],
  groups: ['groups', 'group', 'categories', 'category', 'tags', 'labels', 'group membership'],
};

/** Folds a header title: lower case, no accents, no spaces/underscores/dashes/dots. */
export function foldHeader(title: string): string {
  return title
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s_\-.:]+/g, '');
}

const BY_FOLDED = new Map<string, ColumnKey>();
for (const key of EXPORT_COLUMNS) {
  for (const alias of [EXPORT_HEADERS[key], key, ...ALIASES[key]]) {
    const folded = foldHeader(alias);
    const taken = BY_FOLDED.get(folded);
    if (taken && taken !== key) throw new Error(`header alias "${alias}" names both ${taken} and ${key}`);
    BY_FOLDED.set(folded, key);
  }
}

/** The field a header title names, or null for a column we do not know. */
export function columnFor(title: string): ColumnKey | null {
  return BY_FOLDED.get(foldHeader(title)) ?? null;
}

/** Whose layout a file has: ours (or a hand-made sheet), an address-book export, or vCards. */
export type SourceFormat = 'columns' | 'google' | 'outlook' | 'vcard';

export interface HeaderMap {
  /** Field per column index; null = ignored column. */
  columns: (ColumnKey | null)[];
  /** Titles of the columns we ignored, as written in the file. */
  ignored: string[];
  /** Title as written in the file, per field (used in error reports). */
  titles: Partial<Record<ColumnKey, string>>;
  source?: SourceFormat;
  /** Further columns per field, used in order when the field is still empty (Outlook "Business Phone 2"). */
  fallbacks?: Partial<Record<ColumnKey, number[]>>;
  /** Label/value column pairs whose label decides the field (Google "Phone 1 - Label"/"Phone 1 - Value"). */
  labelled?: { label: number; value: number }[];
  /** Cells may hold several values separated by " ::: " (Google); the first is used. */
  multiValue?: boolean;
}

/** What the preview shows: which column feeds which field. */
export function describeMapping(header: string[], map: HeaderMap): { column: string; field: string }[] {
  const out: { column: string; field: string }[] = [];
  map.columns.forEach((k, i) => { if (k) out.push({ column: header[i]?.trim() ?? '', field: k }); });
  for (const [k, cols] of Object.entries(map.fallbacks ?? {})) for (const i of cols ?? []) out.push({ column: header[i]?.trim() ?? '', field: `${k} (when empty)` });
  for (const p of map.labelled ?? []) out.push({ column: `${header[p.label]?.trim()} / ${header[p.value]?.trim()}`, field: 'number, by its label' });
  return out;
}

export type HeaderResult = { ok: true; map: HeaderMap } | { ok: false; reason: string };

/** Maps a header row; fails when a field appears twice or when no contact field is recognised. */
export function mapHeader(header: string[]): HeaderResult {
  const columns: (ColumnKey | null)[] = [];
  const ignored: string[] = [];
  const titles: Partial<Record<ColumnKey, string>> = {};
  for (const raw of header) {
    const title = raw.trim();
    const key = title === '' ? null : columnFor(title);
    if (key && titles[key] !== undefined) {
      return { ok: false, reason: `columns "${titles[key]}" and "${title}" both give the ${EXPORT_HEADERS[key]}` };
    }
    if (key) titles[key] = title;
    else if (title !== '') ignored.push(title);
    columns.push(key);
  }
  if (!columns.some((k) => k !== null && k !== 'id')) {
    const seen = header.filter((h) => h.trim() !== '').slice(0, 5).map((h) => `"${h.trim().slice(0, 40)}"`).join(', ');
    return {
      ok: false,
      reason: `the first row must be a header naming contact columns (e.g. ${EXPORT_COLUMNS.map((k) => EXPORT_HEADERS[k]).join(', ')}); found ${seen || 'an empty row'}`,
    };
  }
  return { ok: true, map: { columns, ignored, titles } };
}
