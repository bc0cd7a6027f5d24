// Turns the store's Criterion AST into SQL over the contacts table (alias c). Name prefixes and
// caller-ID tails become index range scans; only contains/suffix on names scan the account.
import type { Criterion, NameField, NumberKindFilter, Visibility } from '../../store/store.ts';
import { fold, groupKey, words } from '../../domain/text-fold.ts';
import { queryDigits, reverse } from '../../domain/phone-number.ts';
import { KIND_SQL } from '../number-kind-sql.ts';

export interface SqlPart {
  sql: string;
  params: unknown[];
}

const NAME_COLUMN: Record<NameField, string> = {
  firstName: 'c.first_f', lastName: 'c.last_f', company: 'c.company_f',
  title: 'c.title_f', email: 'c.email_f', displayName: 'c.display_f',
  sortName: "substr(c.sort_key, 1, instr(c.sort_key, char(1)) - 1)",
};

// sort_key is "<sort name>\u0001<first>\u0001<company>": tests on the sort name become range
// scans of the sort index.
const SEP = '\u0001';
const AFTER_SEP = '\u0002';


const UPPER = '\uffff';
const TRUE: SqlPart = { sql: '1', params: [] };
const FALSE: SqlPart = { sql: '0', params: [] };

/** Visibility.dialable as SQL over alias c. */
const HAS_NUMBER = 'EXISTS (SELECT 1 FROM contact_numbers dn WHERE dn.contact_id = c.id)';

export function visibilitySql(v: Visibility): SqlPart {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (v.shared) parts.push(`c.source = 'shared'`);
  if (v.users) parts.push(`c.source = 'user'`);
  if (v.personalOf) {
    parts.push(`(c.source = 'personal' AND c.user_id = ?)`);
    params.push(v.personalOf);
  }
  if (parts.length === 0) return FALSE;
  return { sql: v.dialable ? `((${parts.join(' OR ')}) AND ${HAS_NUMBER})` : `(${parts.join(' OR ')})`, params };
}

export function criterionSql(c: Criterion, accountId: string, region: string): SqlPart {
  if ('all' in c) return TRUE;
  if ('none' in c) return FALSE;
  if ('and' in c) return join(c.and.map((x) => criterionSql(x, accountId, region)), 'AND', TRUE);
  if ('or' in c) return join(c.or.map((x) => criterionSql(x, accountId, region)), 'OR', FALSE);
  if ('not' in c) {
    const inner = criterionSql(c.not, accountId, region);
    return { sql: `NOT (${inner.sql})`, params: inner.params };
  }
  if ('name' in c) return nameSql(c.name, c.op, c.value ?? '');
  if ('words' in c) return wordsSql(c.words, accountId);
  if ('number' in c) return numberSql(c.number, c.op, c.value ?? '', accountId, region);
  if ('group' in c) {
    return {
      sql: `c.id IN (SELECT cg.contact_id FROM contact_groups cg JOIN groups g ON g.id = cg.group_id
                     WHERE g.account_id = ? AND g.name_key = ?)`,
      params: [accountId, groupKey(c.group)],
    };
  }
  if ('id' in c) return { sql: 'c.id = ?', params: [c.id] };
  return { sql: 'c.source = ?', params: [c.source] };
}

function nameSql(field: NameField, op: string, raw: string): SqlPart {
  const col = NAME_COLUMN[field];
  const v = fold(raw);
  if (field === 'sortName') {
    switch (op) {
      case 'eq': return { sql: '(c.sort_key >= ? AND c.sort_key < ?)', params: [v + SEP, v + AFTER_SEP] };
      case 'prefix': return v === '' ? TRUE : { sql: '(c.sort_key >= ? AND c.sort_key < ?)', params: [v, v + UPPER] };
      case 'gte': return { sql: 'c.sort_key >= ?', params: [v] };
      case 'lte': return { sql: 'c.sort_key < ?', params: [v + AFTER_SEP] };
      case 'present': return TRUE;
      default: break; // suffix, contains: on the extracted sort name below
    }
  }
  switch (op) {
    case 'eq': return { sql: `${col} = ?`, params: [v] };
    case 'prefix': return v === '' ? TRUE : { sql: `(${col} >= ? AND ${col} < ?)`, params: [v, v + UPPER] };
    case 'suffix': return { sql: `substr(${col}, -?) = ?`, params: [v.length, v] };
    case 'contains': return { sql: `instr(${col}, ?) > 0`, params: [v] };
    case 'gte': return { sql: `${col} >= ?`, params: [v] };
    case 'lte': return { sql: `${col} <= ?`, params: [v] };
    default: return { sql: `${col} <> ''`, params: [] };
  }
}

/** Every word of the text starts some word of first name, last name or company. */
function wordsSql(text: string, accountId: string): SqlPart {
  const ws = words(text);
  if (ws.length === 0) return TRUE;
  return join(
    ws.map((w) => {
      const hi = w + UPPER;
      return {
        sql: `((c.first_f >= ? AND c.first_f < ?) OR (c.last_f >= ? AND c.last_f < ?) OR (c.company_f >= ? AND c.company_f < ?)
          OR c.id IN (SELECT contact_id FROM contact_words WHERE account_id = ? AND word >= ? AND word < ?))`,
        params: [w, hi, w, hi, w, hi, accountId, w, hi],
      };
    }),
    'AND',
    TRUE,
  );
}

function numberSql(kind: NumberKindFilter, op: string, value: string, accountId: string, region: string): SqlPart {
  const base = `c.id IN (SELECT n.contact_id FROM contact_numbers n WHERE n.account_id = ?${KIND_SQL[kind]}`;
  if (op === 'present') return { sql: `${base})`, params: [accountId] };
  if (op === 'contains') {
    const d = value.replace(/\D/g, '');
    return d === '' ? TRUE : { sql: `${base} AND instr(n.digits, ?) > 0)`, params: [accountId, d] };
  }
  if (op === 'suffix') {
    const d = value.replace(/\D/g, '');
    if (d === '') return TRUE;
    const rev = reverse(d);
    return { sql: `${base} AND n.digits_rev >= ? AND n.digits_rev < ?)`, params: [accountId, rev, rev + UPPER] };
  }
  const q = queryDigits(value, region);
  const digits = q.full ?? q.digits;
  if (digits === '') return FALSE;
  return { sql: `${base} AND n.digits_rev = ?)`, params: [accountId, reverse(digits)] };
}

function join(parts: SqlPart[], op: 'AND' | 'OR', empty: SqlPart): SqlPart {
  if (parts.length === 0) return empty;
  if (parts.length === 1) return parts[0];
  return { sql: '(' + parts.map((p) => p.sql).join(` ${op} `) + ')', params: parts.flatMap((p) => p.params) };
}
