// Turns the store's Criterion AST into PostgreSQL SQL over the contacts table (alias c), as
// sqlite/criterion-sql.ts does for SQLite and with the same meaning: name prefixes and caller-ID
// tails become B-tree range scans (the folded columns are COLLATE "C", so a range is bytewise as
// on SQLite); only contains/suffix on names scan the account. Parameters are numbered as they are
// added ($1, $2 ...), so one Params collects those of a whole statement.
import type { Criterion, NameField, NumberKindFilter, Visibility } from '../store.ts';
import { fold, groupKey, words } from '../../domain/text-fold.ts';
import { queryDigits, reverse } from '../../domain/phone-number.ts';
import { KIND_SQL } from '../number-kind-sql.ts';

/** The parameters of one statement; add() returns the placeholder of the value added. */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

// sort_key is "<sort name>\u0001<first>\u0001<company>": tests on the sort name become range
// scans of the sort index.
const SEP = '\u0001';
const AFTER_SEP = '\u0002';
const UPPER = '\uffff';

const NAME_COLUMN: Record<NameField, string> = {
  firstName: 'c.first_f', lastName: 'c.last_f', company: 'c.company_f',
  title: 'c.title_f', email: 'c.email_f', displayName: 'c.display_f',
  sortName: 'split_part(c.sort_key, chr(1), 1)',
};


/** Visibility.dialable as SQL over alias c. */
const HAS_NUMBER = 'EXISTS (SELECT 1 FROM contact_numbers dn WHERE dn.contact_id = c.id)';

export function visibilitySql(v: Visibility, p: Params): string {
  const parts: string[] = [];
  if (v.shared) parts.push(`c.source = 'shared'`);
  if (v.users) parts.push(`c.source = 'user'`);
  if (v.personalOf) parts.push(`(c.source = 'personal' AND c.user_id = ${p.add(v.personalOf)})`);
  if (parts.length === 0) return 'false';
  return v.dialable ? `((${parts.join(' OR ')}) AND ${HAS_NUMBER})` : `(${parts.join(' OR ')})`;
}

export function criterionSql(c: Criterion, accountId: string, region: string, p: Params): string {
  if ('all' in c) return 'true';
  if ('none' in c) return 'false';
  if ('and' in c) return join(c.and.map((x) => criterionSql(x, accountId, region, p)), 'AND', 'true');
  if ('or' in c) return join(c.or.map((x) => criterionSql(x, accountId, region, p)), 'OR', 'false');
  if ('not' in c) return `NOT (${criterionSql(c.not, accountId, region, p)})`;
  if ('name' in c) return nameSql(c.name, c.op, c.value ?? '', p);
  if ('words' in c) return wordsSql(c.words, accountId, p);
  if ('number' in c) return numberSql(c.number, c.op, c.value ?? '', accountId, region, p);
  if ('group' in c) {
    // groups by their key (groupKey), as on SQLite
    return `c.id IN (SELECT cg.contact_id FROM contact_groups cg JOIN groups g ON g.id = cg.group_id
      WHERE g.account_id = ${p.add(accountId)} AND g.name_key = ${p.add(groupKey(c.group))})`;
  }
  if ('id' in c) return `c.id = ${p.add(c.id)}`;
  return `c.source = ${p.add(c.source)}`;
}

function nameSql(field: NameField, op: string, raw: string, p: Params): string {
  const col = NAME_COLUMN[field];
  const v = fold(raw);
  if (field === 'sortName') {
    switch (op) {
      case 'eq': return `(c.sort_key >= ${p.add(v + SEP)} AND c.sort_key < ${p.add(v + AFTER_SEP)})`;
      case 'prefix': return v === '' ? 'true' : `(c.sort_key >= ${p.add(v)} AND c.sort_key < ${p.add(v + UPPER)})`;
      case 'gte': return `c.sort_key >= ${p.add(v)}`;
      case 'lte': return `c.sort_key < ${p.add(v + AFTER_SEP)}`;
      case 'present': return 'true';
      default: break; // suffix, contains: on the extracted sort name below
    }
  }
  switch (op) {
    case 'eq': return `${col} = ${p.add(v)}`;
    case 'prefix': return v === '' ? 'true' : `(${col} >= ${p.add(v)} AND ${col} < ${p.add(v + UPPER)})`;
    case 'suffix': return `right(${col}, ${p.add(v.length)}::int) = ${p.add(v)}`;
    case 'contains': return `strpos(${col}, ${p.add(v)}) > 0`;
    case 'gte': return `${col} >= ${p.add(v)}`;
    case 'lte': return `${col} <= ${p.add(v)}`;
    default: return `${col} <> ''`;
  }
}

/** Every word of the text starts some word of first name, last name or company. */
function wordsSql(text: string, accountId: string, p: Params): string {
  const ws = words(text);
  if (ws.length === 0) return 'true';
  return join(ws.map((w) => {
    const lo = p.add(w);
    const hi = p.add(w + UPPER);
    return `((c.first_f >= ${lo} AND c.first_f < ${hi}) OR (c.last_f >= ${lo} AND c.last_f < ${hi}) OR (c.company_f >= ${lo} AND c.company_f < ${hi})
      OR c.id IN (SELECT contact_id FROM contact_words WHERE account_id = ${p.add(accountId)} AND word >= ${lo} AND word < ${hi}))`;
  }), 'AND', 'true');
}

function numberSql(kind: NumberKindFilter, op: string, value: string, accountId: string, region: string, p: Params): string {
  const base = () => `c.id IN (SELECT n.contact_id FROM contact_numbers n WHERE n.account_id = ${p.add(accountId)}${KIND_SQL[kind]}`;
  if (op === 'present') return `${base()})`;
  if (op === 'contains') {
    const d = value.replace(/\D/g, '');
    return d === '' ? 'true' : `${base()} AND strpos(n.digits, ${p.add(d)}) > 0)`;
  }
  if (op === 'suffix') {
    const d = value.replace(/\D/g, '');
    if (d === '') return 'true';
    const rev = reverse(d);
    return `${base()} AND n.digits_rev >= ${p.add(rev)} AND n.digits_rev < ${p.add(rev + UPPER)})`;
  }
  const q = queryDigits(value, region);
  const digits = q.full ?? q.digits;
  if (digits === '') return 'false';
  return `${base()} AND n.digits_rev = ${p.add(reverse(digits))})`;
}

function join(parts: string[], op: 'AND' | 'OR', empty: string): string {
  if (parts.length === 0) return empty;
  if (parts.length === 1) return parts[0];
  return '(' + parts.join(` ${op} `) + ')';
}
