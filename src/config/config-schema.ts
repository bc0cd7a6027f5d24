// The configuration: one strict schema with a help text per option. Unknown keys are rejected.
// config/default.json holds the defaults; environment variables and CLI flags override them.
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

export const configSchema = z.object({
  dataDir: z.string().min(1).describe('Folder for the SQLite database, the admin token and the secrets key. Env: DIALBOOK_DATA_DIR'),
  adminToken: z.string().min(16).nullable().describe('Platform-admin API token used on first start; null = generate one. Env: DIALBOOK_ADMIN_TOKEN'),
  publicUrl: z.string().nullable().describe('Base URL phones reach this server at (used in provisioning lines); null = derived from the request. Env: DIALBOOK_PUBLIC_URL'),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).describe('Log level. Env: DIALBOOK_LOG_LEVEL'),
  }).strict(),
  http: z.object({
    host: z.string().describe('Address the HTTP server listens on'),
    port: port.describe('HTTP port (admin API, phonebooks, portal). Env: DIALBOOK_HTTP_PORT'),
    trustProxy: z.union([z.boolean(), z.string()]).describe('express "trust proxy" setting, for client addresses behind a reverse proxy'),
    shutdownGraceMs: z.number().int().min(0).describe('On SIGTERM, how long in-flight requests may take before connections are closed'),
  }).strict(),
  import: z.object({
    maxUploadBytes: z.number().int().min(1024).describe('Largest accepted import file, in bytes (larger: 413)'),
    maxRows: z.number().int().min(1).describe('Most data rows an import file may have (more: 413)'),
  }).strict(),
  numbers: z.object({
    minTailDigits: z.number().int().min(3).max(15).describe('A caller-ID query with fewer digits never matches a longer stored number by its tail'),
  }).strict(),
  ldap: z.object({
    enabled: z.boolean().describe('Start the LDAP front end'),
    host: z.string().describe('Address the LDAP server listens on'),
    port: port.describe('LDAP port. Env: DIALBOOK_LDAP_PORT'),
    suffix: z.string().describe('Directory suffix; each account is o=<account>,<suffix>'),
    ldapsPort: port.nullable().describe('LDAPS port (needs tlsCert and tlsKey); null = off'),
    tlsCert: z.string().nullable().describe('PEM certificate file for StartTLS and LDAPS'),
    tlsKey: z.string().nullable().describe('PEM private key file for StartTLS and LDAPS'),
    maxConnections: z.number().int().min(1).describe('Most concurrent LDAP connections'),
    idleTimeoutMs: z.number().int().min(1000).describe('Close LDAP connections idle this long'),
    maxSizeLimit: z.number().int().min(1).describe('Server-side maximum entries per search'),
    maxTimeLimitMs: z.number().int().min(1).describe('Server-side maximum time per search'),
    failedBindDelayMs: z.number().int().min(0).describe('Delay added per recent failed bind from the same address'),
  }).strict(),
  directory: z.object({
    idleEvictMinutes: z.number().int().min(1).describe('Drop an account\'s in-memory directory (the read model LDAP searches are served from) when no search used it for this many minutes; the next search rebuilds it'),
    revisionCheckMs: z.number().int().min(0).max(1000).describe('How often, at most, a search checks the account revision in the database, so changes written by another process reach LDAP within this time'),
  }).strict(),
  phonebook: z.object({
    templatesDir: z.string().describe('Folder of vendor phonebook templates and descriptors'),
    cacheEntries: z.number().int().min(0).describe('Rendered phonebooks kept in memory'),
  }).strict(),
  signin: z.object({
    freeFailuresPerAddress: z.number().int().min(1).describe('Wrong credentials from one address (any front end, any login) before attempts are slowed'),
    freeFailuresPerLogin: z.number().int().min(1).describe('Wrong credentials for one login (from any address) before attempts on it are slowed'),
    maxDelaySeconds: z.number().int().min(1).describe('Longest wait imposed between two sign-in attempts (the delay doubles per failure up to this)'),
    forgetFailureSeconds: z.number().int().min(1).describe('One recorded failure is forgotten per this many seconds'),
  }).strict(),
  store: z.object({
    changeLogDays: z.number().int().min(1).describe('Days the contact change log (CardDAV sync tokens, read-model updates) is kept; older sync tokens start a full sync'),
  }).strict(),
  portal: z.object({
    sessionTtlMinutes: z.number().int().min(5).describe('Web portal session lifetime'),
    secureCookies: z.boolean().describe('Mark session cookies Secure (set true behind HTTPS)'),
  }).strict(),
}).strict();

export type Config = z.infer<typeof configSchema>;
