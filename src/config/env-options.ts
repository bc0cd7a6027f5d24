// Every configuration option as an environment variable, derived from the config schema itself:
// DIALBOOK_ + the option's path in upper snake case (ldap.maxConnections ->
// DIALBOOK_LDAP_MAX_CONNECTIONS). Options added to the schema later get their variable, their
// parsing and their README line without anything written here.
import type { z } from 'zod';

export interface EnvOption {
  /** Path in the config, e.g. ['ldap', 'maxConnections']. */
  path: string[];
  env: string;
  schema: z.ZodType;
  description: string;
  /** Short type text for the docs: number, boolean, string, "a" | "b", ... (null when nullable). */
  type: string;
}

type Json = Record<string, unknown>;
interface Def { type: string; innerType?: z.ZodType; options?: z.ZodType[]; entries?: Record<string, unknown>; element?: z.ZodType; in?: z.ZodType; values?: unknown[] }
const defOf = (s: z.ZodType) => (s as unknown as { def: Def }).def;
const shapeOf = (s: z.ZodType) => (s as unknown as { shape?: Record<string, z.ZodType> }).shape;

/** The schema under optional/nullable/default wrappers. */
function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const d = defOf(cur);
    if ((d.type === 'optional' || d.type === 'nullable' || d.type === 'default' || d.type === 'prefault' || d.type === 'readonly') && d.innerType) cur = d.innerType;
    else if (d.type === 'pipe' && d.in) cur = d.in;
    else return cur;
  }
}

const upperSnake = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
export const envName = (path: string[]) => 'DIALBOOK_' + path.map(upperSnake).join('_');

function typeText(s: z.ZodType): string {
  const d = defOf(s);
  switch (d.type) {
    case 'optional': case 'default': case 'prefault': case 'readonly': return typeText(d.innerType!);
    case 'nullable': return `${typeText(d.innerType!)} or null`;
    case 'pipe': return typeText(d.in!);
    case 'union': return d.options!.map(typeText).join(' or ');
    case 'enum': return Object.values(d.entries ?? {}).map((v) => JSON.stringify(v)).join(' | ');
    case 'literal': return (d.values ?? []).map((v) => JSON.stringify(v)).join(' | ');
    case 'array': return `JSON array of ${typeText(d.element!)}`;
    case 'object': case 'record': return 'JSON object';
    default: return d.type;
  }
}

function describeOf(s: z.ZodType): string {
  let cur: z.ZodType | undefined = s;
  while (cur) {
    if (cur.description) return cur.description.replace(/\s*Env: DIALBOOK_[A-Z0-9_]+\.?\s*$/, '');
    cur = defOf(cur).innerType;
  }
  return '';
}

/** One entry per leaf option, in schema order. Nested objects recurse; their leaves get variables. */
export function envOptions(schema: z.ZodType, path: string[] = []): EnvOption[] {
  const shape = shapeOf(unwrap(schema));
  if (!shape) return [{ path, env: envName(path), schema, description: describeOf(schema), type: typeText(schema) }];
  return Object.entries(shape).flatMap(([key, child]) => envOptions(child, [...path, key]));
}

/**
 * Reads the DIALBOOK_* variables of every option into a partial config. A value is taken as JSON
 * when that fits the option (numbers, booleans, arrays, null), else as text; one that fits
 * neither is an error naming the variable.
 */
export function configFromEnv(schema: z.ZodType, env: NodeJS.ProcessEnv): Json {
  const out: Json = {};
  for (const opt of envOptions(schema)) {
    const raw = env[opt.env];
    if (raw === undefined || raw === '') continue;
    let value: unknown;
    let parsedJson: unknown;
    let isJson = false;
    try {
      parsedJson = JSON.parse(raw);
      isJson = true;
    } catch { /* plain text */ }
    if (isJson && opt.schema.safeParse(parsedJson).success) value = parsedJson;
    else if (opt.schema.safeParse(raw).success) value = raw;
    else {
      const r = opt.schema.safeParse(isJson ? parsedJson : raw);
      const reason = r.success ? 'not accepted' : r.error.issues.map((i) => i.message).join('; ');
      throw new Error(`Invalid configuration (environment): ${opt.env} (${opt.path.join('.')}, ${opt.type}) got "${raw}": ${reason}`);
    }
    let cur = out;
    for (const k of opt.path.slice(0, -1)) cur = (cur[k] ??= {}) as Json;
    cur[opt.path[opt.path.length - 1]] = value;
  }
  return out;
}

const valueAt = (obj: unknown, path: string[]) => path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Json)[k] : undefined), obj);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README table: variable, option, type, default, meaning. Same input, same text. */
export function envTable(schema: z.ZodType, defaults: unknown): string {
  const lines = [
    '| Variable | Option | Type | Default | Meaning |',
    '|---|---|---|---|---|',
    ...envOptions(schema).map((o) => {
      const d = valueAt(defaults, o.path);
      return `| \`${o.env}\` | \`${o.path.join('.')}\` | ${cell(o.type)} | ${d === undefined ? '' : `\`${cell(JSON.stringify(d))}\``} | ${cell(o.description)} |`;
    }),
  ];
  return lines.join('\n') + '\n';
}

export const README_START = '<!-- config-env:start (generated by `npm run docs:config` from src/config/config-schema.ts; do not edit) -->';
export const README_END = '<!-- config-env:end -->';

/** The README text with the generated table between the markers (which must exist). */
export function withEnvTable(readme: string, table: string): string {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) throw new Error(`README lacks the markers ${README_START} ... ${README_END}`);
  return readme.slice(0, a + README_START.length) + '\n' + table + readme.slice(b);
}
