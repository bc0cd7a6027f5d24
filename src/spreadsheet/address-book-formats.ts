// The CSV layouts address books export, recognised by their header row:
// - Google Contacts ("Google CSV", both the current export with "First Name"/"Labels"/
//   "Organization Name" and the older one with "Given Name"/"Group Membership"/
//   "Organization 1 - Name"): numbers come as "Phone N - Label"/"Phone N - Value" (or "- Type")
//   pairs, several values in one cell separated by " ::: ", labels like Mobile, Work, Home,
//   Work Fax, with "* " marking the primary one.
// - Outlook ("Outlook CSV", English): one column per kind of number ("Business Phone",
//   "Business Phone 2", "Mobile Phone", "Home Phone", "Business Fax", ...), "E-mail Address",
//   "Company", "Job Title" (its "Title" is Mr./Ms., not a job title), "Categories".
import { foldHeader, type ColumnKey, type HeaderMap } from './header-aliases.ts';

const GOOGLE_COLUMNS: Record<string, ColumnKey> = {
  firstname: 'firstName', givenname: 'firstName',
  lastname: 'lastName', familyname: 'lastName',
  organizationname: 'company', organization1name: 'company',
  organizationtitle: 'title', organization1title: 'title',
  email1value: 'email',
  labels: 'groups', groupmembership: 'groups',
};

const OUTLOOK_COLUMNS: Record<string, ColumnKey> = {
  firstname: 'firstName', lastname: 'lastName', company: 'company', jobtitle: 'title',
  businessphone: 'workNumber', mobilephone: 'mobileNumber', homephone: 'homeNumber', businessfax: 'faxNumber',
  emailaddress: 'email', categories: 'groups',
};

/** Later columns used when the field is still empty, in this order. */
const OUTLOOK_FALLBACKS: Partial<Record<ColumnKey, string[]>> = {
  workNumber: ['businessphone2', 'companymainphone', 'primaryphone', 'otherphone'],
  mobileNumber: ['carphone'],
  homeNumber: ['homephone2'],
  faxNumber: ['homefax', 'otherfax'],
  email: ['email2address', 'email3address'],
};

export function detectAddressBook(header: string[]): HeaderMap | null {
  const folded = header.map((h) => foldHeader(h.trim()));
  const has = (f: string) => folded.includes(f);
  if (folded.some((f) => /^phone\d+value$/.test(f)) || (has('email1value') && (has('organizationname') || has('organization1name') || has('givenname')))) {
    return googleMap(header, folded);
  }
  if (has('businessphone') && has('jobtitle') && ['middlename', 'suffix', 'businessphone2', 'emaildisplayname', 'homephone2'].some(has)) {
    return outlookMap(header, folded);
  }
  return null;
}

function baseMap(header: string[], folded: string[], known: Record<string, ColumnKey>, source: 'google' | 'outlook'): HeaderMap {
  const map: HeaderMap = { columns: [], ignored: [], titles: {}, source };
  folded.forEach((f, i) => {
    const key = known[f] ?? null;
    if (key && map.titles[key] === undefined) {
      map.titles[key] = header[i].trim();
      map.columns.push(key);
    } else {
      map.columns.push(null);
    }
  });
  return map;
}

function googleMap(header: string[], folded: string[]): HeaderMap {
  const map = baseMap(header, folded, GOOGLE_COLUMNS, 'google');
  map.multiValue = true;
  map.labelled = [];
  folded.forEach((f, i) => {
    const m = /^phone(\d+)value$/.exec(f);
    if (!m) return;
    const label = folded.findIndex((g) => g === `phone${m[1]}label` || g === `phone${m[1]}type`);
    map.labelled!.push({ label, value: i });
  });
  const used = new Set(map.labelled.flatMap((p) => [p.label, p.value]));
  map.ignored = header.map((h, i) => (map.columns[i] === null && !used.has(i) ? h.trim() : '')).filter((h) => h !== '');
  if (map.labelled[0]) map.titles.workNumber = map.titles.mobileNumber = map.titles.homeNumber = map.titles.faxNumber = header[map.labelled[0].value].trim();
  return map;
}

function outlookMap(header: string[], folded: string[]): HeaderMap {
  const map = baseMap(header, folded, OUTLOOK_COLUMNS, 'outlook');
  map.fallbacks = {};
  const used = new Set<number>();
  for (const [key, names] of Object.entries(OUTLOOK_FALLBACKS) as [ColumnKey, string[]][]) {
    const cols = names.map((n) => folded.indexOf(n)).filter((i) => i >= 0);
    if (cols.length) map.fallbacks[key] = cols;
    for (const i of cols) used.add(i);
    if (map.titles[key] === undefined && cols.length) map.titles[key] = header[cols[0]].trim();
  }
  map.ignored = header.map((h, i) => (map.columns[i] === null && !used.has(i) ? h.trim() : '')).filter((h) => h !== '');
  return map;
}

/** The field a Google phone label asks for ("* Mobile", "Work Fax", "Home", ...); null = any free one. */
export function googleLabelField(label: string): ColumnKey | null {
  const l = label.replace(/^\*\s*/, '').trim().toLowerCase();
  if (l.includes('fax')) return 'faxNumber';
  if (l === 'mobile' || l === 'cell' || l === 'work mobile') return 'mobileNumber';
  if (l === 'home') return 'homeNumber';
  if (l === 'work' || l === 'main' || l === 'company main' || l === 'business') return 'workNumber';
  return null;
}
