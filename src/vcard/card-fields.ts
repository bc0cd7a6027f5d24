// The one reading of a vCard (3.0 or 4.0, parsed by ical.js) into dialbook's contact fields, for
// CardDAV writes, the merge that serves an app's card back (card-merge.ts) and vCard import. What
// dialbook models: N (family, given), else FN; ORG (its parts joined); TITLE; numbers by kind (a
// fax only as fax; a number whose kind is taken goes to a free voice field); the first EMAIL;
// CATEGORIES (groups). Everything else stays in the card itself where a card is kept (CardDAV)
// and is reported as not imported where it is not (import).
import ICAL from 'ical.js';
import { NUMBER_FIELDS, type NumberField } from '../domain/contact-schemas.ts';
import { ValidationError } from '../errors.ts';

/** The contact fields a card holds, as text (before prepareContact). */
export interface CardText {
  firstName: string; lastName: string; company: string; title: string;
  workNumber: string; mobileNumber: string; homeNumber: string; faxNumber: string;
  email: string; groups: string[];
}

export interface CardReading {
  uid: string;
  /** Group cards: vCard 4 KIND:group (DAVx5) or Apple's X-ADDRESSBOOKSERVER-KIND:group. */
  kind: 'individual' | 'group';
  fields: CardText;
  /** The property each number field and the email came from (the merge writes changes back there). */
  sources: Partial<Record<NumberField | 'email', ICAL.Property>>;
  /** Numbers and addresses that found no field. */
  leftOver: { field: string; value: string; reason: string }[];
  /** A group card's name (its FN) and the UIDs of its members (MEMBER / X-ADDRESSBOOKSERVER-MEMBER "urn:uuid:…"). */
  group?: { name: string; members: string[] };
}

// RFC 6350 writes URI values as they are ("PHOTO:data:image/jpeg;base64,…", section 6.2.4), but
// ical.js escapes their commas like text: every data: URI photo of a vCard 4 card it wrote back
// would break. URIs are neither escaped on reading nor on writing here.
(ICAL.design.vcard.value as Record<string, object>).uri = {};

/** Exactly one vCard, or a ValidationError naming what is wrong. */
export function parseVcard(text: string): ICAL.Component {
  try {
    const parsed = ICAL.parse(text) as unknown[];
    if (!Array.isArray(parsed) || parsed[0] !== 'vcard') throw new Error('expected exactly one BEGIN:VCARD ... END:VCARD');
    return new ICAL.Component(parsed as [string, unknown[], unknown[]]);
  } catch (err) {
    throw new ValidationError(`The body is not a vCard: ${(err as Error).message}`, [{ field: 'vcard', reason: (err as Error).message }]);
  }
}

export function readCard(comp: ICAL.Component): CardReading {
  const props = comp.getAllProperties();
  // "item1.TEL" (Apple's grouped properties) is a TEL
  const named = (name: string) => props.filter((p) => p.name.replace(/^.*\./, '') === name);
  const first = (name: string) => named(name)[0];
  const fields: CardText = {
    firstName: '', lastName: '', company: '', title: '', workNumber: '', mobileNumber: '', homeNumber: '', faxNumber: '', email: '', groups: [],
  };
  const n = first('n')?.getFirstValue() as unknown;
  const nParts = Array.isArray(n) ? n.map(textOf) : typeof n === 'string' ? n.split(';') : [];
  fields.lastName = (nParts[0] ?? '').trim();
  fields.firstName = (nParts[1] ?? '').trim();
  const org = first('org');
  // ORG is structured (organisation;unit;...): the parts are joined
  fields.company = org ? org.getValues().flatMap((v) => (Array.isArray(v) ? v.map(textOf) : [textOf(v)])).map((s) => s.trim()).filter(Boolean).join(', ') : '';
  const fn = textOf(first('fn')?.getFirstValue()).trim();
  // No structured name: the formatted name is the name (never split: "山田 太郎" has its family
  // name first), unless it only repeats the company (a company card).
  if (!fields.firstName && !fields.lastName && fn && fn !== fields.company) fields.firstName = fn;
  fields.title = textOf(first('title')?.getFirstValue()).trim();

  const sources: CardReading['sources'] = {};
  const leftOver: CardReading['leftOver'] = [];
  // Each number to the field of its kind first; only then the rest to free voice fields, so a
  // second mobile number never takes the field of the home number that follows it.
  const spill: { tel: ICAL.Property; value: string; wanted: NumberField }[] = [];
  for (const tel of named('tel')) {
    const value = telText(textOf(tel.getFirstValue())).trim();
    if (!value) continue;
    const wanted = telField(paramList(tel.getParameter('type')));
    if (!fields[wanted]) {
      fields[wanted] = value;
      sources[wanted] = tel;
    } else spill.push({ tel, value, wanted });
  }
  for (const { tel, value, wanted } of spill) {
    const field = wanted === 'faxNumber' ? undefined : (['workNumber', 'mobileNumber', 'homeNumber'] as const).find((f) => !fields[f]);
    if (field) {
      fields[field] = value;
      sources[field] = tel;
    } else leftOver.push({ field: 'TEL', value, reason: `more numbers than the contact has fields (${NUMBER_FIELDS.join(', ')})` });
  }
  for (const e of named('email')) {
    const value = textOf(e.getFirstValue()).replace(/^mailto:/i, '').trim();
    if (!value) continue;
    if (!fields.email) {
      fields.email = value;
      sources.email = e;
    } else leftOver.push({ field: 'EMAIL', value, reason: 'a contact has one e-mail address field' });
  }
  fields.groups = named('categories').flatMap((c) => c.getValues().flatMap((v) => (Array.isArray(v) ? v : [v])).map(textOf)).map((s) => s.trim()).filter(Boolean);

  const kind = [textOf(first('kind')?.getFirstValue()), textOf(first('x-addressbookserver-kind')?.getFirstValue())]
    .some((k) => k.trim().toLowerCase() === 'group') ? 'group' : 'individual';
  const reading: CardReading = { uid: textOf(first('uid')?.getFirstValue()).trim(), kind, fields, sources, leftOver };
  if (kind === 'group') {
    const members = [...named('member'), ...named('x-addressbookserver-member')]
      .map((p) => textOf(p.getFirstValue()).trim().replace(/^urn:uuid:/i, '')).filter(Boolean);
    reading.group = { name: fn || [fields.firstName, fields.lastName].filter(Boolean).join(' ') || fields.company, members: [...new Set(members)] };
  }
  return reading;
}

/** The field a TEL's types ask for (fax wins over home/work; cell over voice). */
function telField(types: string[]): NumberField {
  if (types.some((t) => t.includes('fax'))) return 'faxNumber';
  if (types.some((t) => t === 'cell' || t === 'mobile' || t === 'iphone')) return 'mobileNumber';
  if (types.includes('home')) return 'homeNumber';
  return 'workNumber';
}

function paramList(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.flatMap((x) => String(x).split(',')).map((x) => x.trim().toLowerCase()).filter(Boolean);
}

/**
 * A value as text. RFC 2426 escapes ";" in every text value, but ical.js unescapes it only in
 * structured ones (N, ORG), so a "\;" left in a plain value is undone here.
 */
export function textOf(v: unknown): string {
  if (Array.isArray(v)) return v.map(textOf).filter((s) => s !== '').join(', ');
  return v === null || v === undefined ? '' : String(v).replace(/\\;/g, ';');
}

/** A vCard 4 "tel:" URI as people write numbers: "tel:+1-555-0100;ext=12" -> "+1-555-0100 x12". */
export function telText(v: string): string {
  if (!/^tel:/i.test(v)) return v;
  const [num, ...params] = v.slice(4).split(';');
  const ext = params.find((p) => /^ext=/i.test(p));
  return ext ? `${num} x${ext.slice(4)}` : num;
}
