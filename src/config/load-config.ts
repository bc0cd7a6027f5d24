// Loads config once at start: defaults file, then an optional operator file, then environment
// variables (DIALBOOK_<PATH>, one per option, see env-options.ts), then explicit overrides (CLI
// flags, tests). Unknown keys are an error naming them.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, type Config } from './config-schema.ts';
import { configFromEnv } from './env-options.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_CONFIG_FILE = resolve(PROJECT_ROOT, 'config/default.json');

type Json = Record<string, unknown>;

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: DeepPartial<Config>;
}
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object | null ? DeepPartial<NonNullable<T[K]>> | T[K] : T[K] };

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  let merged = readJson(DEFAULT_CONFIG_FILE);
  const file = opts.file ?? env.DIALBOOK_CONFIG;
  if (file) merged = deepMerge(merged, readJson(file), file);
  merged = deepMerge(merged, configFromEnv(configSchema, env), 'environment');
  if (opts.overrides) merged = deepMerge(merged, opts.overrides as Json, 'overrides');
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const where = file ?? DEFAULT_CONFIG_FILE;
    const lines = parsed.error.issues.map((i) => {
      const key = i.path.join('.');
      if (i.code === 'unrecognized_keys') return `unknown option ${i.keys.map((k) => (key ? key + '.' : '') + k).join(', ')}`;
      return `${key}: ${i.message}`;
    });
    throw new Error(`Invalid configuration (${where}): ${lines.join('; ')}`);
  }
  const config = parsed.data;
  config.dataDir = resolve(config.dataDir);
  if (config.secretKeyFile) config.secretKeyFile = resolve(config.secretKeyFile);
  config.phonebook.templatesDir = resolve(PROJECT_ROOT, config.phonebook.templatesDir);
  return config;
}

function readJson(file: string): Json {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (err) {
    throw new Error(`Cannot read configuration file ${file}: ${(err as Error).message}`);
  }
}

function deepMerge(base: Json, over: Json, _source: string): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlain(v) && isPlain(b) ? deepMerge(b as Json, v as Json, _source) : v;
  }
  return out;
}
const isPlain = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
