// The configuration: one strict schema with a help text per option. Unknown keys are rejected.
// config/default.json holds the defaults; environment variables and CLI flags override them.
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

export const configSchema = z.object({
  dataDir: z.string().min(1).describe('Folder for the SQLite database, the admin token and the secrets key. Env: DIALBOOK_DATA_DIR'),
  secretKeyFile: z.string().nullable().describe('File holding the 32-byte base64 key that seals stored secrets (phone passwords); null = <dataDir>/secret.key. Back it up with the database'),
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
    httpsPort: port.nullable().describe('HTTPS port serving the same app as the HTTP port (needs tlsCert and tlsKey; both re-read on SIGHUP); null = off'),
    tlsCert: z.string().nullable().describe('PEM certificate (chain) file for the HTTPS port'),
    tlsKey: z.string().nullable().describe('PEM private key file for the HTTPS port'),
  }).strict(),
  metrics: z.object({
    token: z.string().min(16).nullable().describe('Bearer token a Prometheus scraper must send to GET /metrics; null = no /metrics on the HTTP ports (use metrics.port)'),
    port: port.nullable().describe('Separate listener for /metrics (no token needed unless metrics.token is set); keep it on a private address; null = off'),
    host: z.string().describe('Address the metrics listener binds to'),
  }).strict(),
  import: z.object({
    maxUploadBytes: z.number().int().min(1024).describe('Largest accepted import file, in bytes (larger: 413)'),
    maxRows: z.number().int().min(1).describe('Most data rows an import file may have (more: 413, checked while the file is read)'),
    maxColumns: z.number().int().min(11).describe('Most cells in one row of an import file (more: 413)'),
    maxCellChars: z.number().int().min(100).describe('Most characters in one cell of an import file (more: 413)'),
    threadMinBytes: z.number().int().min(0).describe('Import files of at least this many bytes are processed in a worker thread (the event loop stays free); smaller ones in the request itself'),
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
    failedBindDelayMs: z.number().int().min(0).describe('Wait before answering a failed bind (on top of the shared sign-in limiter, which refuses binds after repeated failures)'),
    maxConnectionsPerAddress: z.number().int().min(1).describe('Most concurrent LDAP connections from one client address (phones behind one NAT share an address)'),
    maxMessageBytes: z.number().int().min(1024).max(16 * 1024 * 1024).describe('Largest LDAP request accepted; a larger one closes the connection'),
    messageDeadlineMs: z.number().int().min(100).describe('A request (and a TLS handshake) must arrive complete within this time from its first byte, or the connection is closed'),
    entryCacheBytes: z.number().int().min(0).describe('Memory for encoded search entries, in bytes (oldest leave first)'),
    tlsMinVersion: z.enum(['TLSv1.2', 'TLSv1.3']).describe('Lowest TLS version for LDAPS and StartTLS'),
    tlsCiphers: z.string().min(1).nullable().describe("OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are Node's); null = Node's default"),
  }).strict(),
  directory: z.object({
    idleEvictMinutes: z.number().int().min(1).describe('Drop an account\'s in-memory directory (the read model LDAP searches are served from) when no search used it for this many minutes; the next search rebuilds it'),
    revisionCheckMs: z.number().int().min(0).max(1000).describe('How often, at most, the change feed of an account in use is read when no change notice came (the safety poll), so changes written by another process reach phones within this time'),
    warmAtStart: z.boolean().describe('Build every account\'s read model at start; /readyz answers 503 until done, so a load balancer sends no phone to a cold instance'),
  }).strict(),
  phonebook: z.object({
    templatesDir: z.string().describe('Folder of vendor phonebook templates and descriptors'),
    cacheEntries: z.number().int().min(0).describe('Most rendered phonebook answers kept in memory (0 = no cache)'),
    cacheMaxBytes: z.number().int().min(0).describe('Memory bound of the rendered-phonebook cache in bytes (body + gzip), least recently used out first'),
  }).strict(),
  signin: z.object({
    freeFailuresPerAddress: z.number().int().min(1).describe('Different wrong passwords (or tokens) for one login from one address before that address is slowed for that login; a device repeating the same wrong password counts once'),
    freeLoginsPerAddress: z.number().int().min(1).describe('Different logins failing from one address before the address is slowed for logins that have not signed in from it recently'),
    freeFailuresPerLogin: z.number().int().min(1).describe('Different wrong passwords for one login from anywhere before addresses it has not signed in from recently are slowed for it (a guessing run spread over addresses)'),
    knownSourceDays: z.number().int().min(0).describe('A login that signed in from an address is known there for this many days: neither other logins\' failures nor guesses from elsewhere slow it there (0 = off)'),
    maxDelaySeconds: z.number().int().min(1).describe('Longest wait imposed between two sign-in attempts (the delay doubles per failure up to this)'),
    forgetFailureSeconds: z.number().int().min(1).describe('One recorded failure is forgotten per this many seconds'),
  }).strict(),
  database: z.object({
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL').nullable().describe('PostgreSQL to keep the data in (postgres://user@host:5432/dialbook), so that several instances share it behind a load balancer; null = SQLite in dataDir (the embedded default). A password may be in the URL, but PGPASSWORD or ~/.pgpass keep it out of files. Env: DIALBOOK_DATABASE_URL'),
    poolSize: z.number().int().min(1).max(200).describe('PostgreSQL connections per instance (the change listener and import threads have their own)'),
    connectTimeoutMs: z.number().int().min(100).describe('How long a PostgreSQL connection may take before the start fails naming the host, or a request gets 503'),
  }).strict(),
  store: z.object({
    changeLogDays: z.number().int().min(1).describe('Days the contact change log (CardDAV sync tokens, read-model updates) is kept; older sync tokens start a full sync'),
  }).strict(),
  carddav: z.object({
    enabled: z.boolean().describe('Serve address books to apps over CardDAV at /carddav (and /.well-known/carddav)'),
    maxBodyBytes: z.number().int().min(1024).describe('Largest accepted CardDAV request body (PROPFIND, REPORT, PUT), in bytes (larger: 413)'),
    maxMultigetHrefs: z.number().int().min(1).describe('Most hrefs one addressbook-multiget may ask for (more: 403 with an explanation); vdirsyncer asks for a whole book at once'),
    maxCardBytes: z.number().int().min(256).describe('Largest vCard a client may PUT, in bytes, photo included (a 256 KiB photo takes about 350 KB; larger: 413, and CARDDAV:max-resource-size)'),
    authCacheSeconds: z.number().int().min(0).describe('How long a verified user password is remembered (as a keyed hash, in memory) so each request of a sync does not pay a full password hash; 0 = never'),
  }).strict(),
  portal: z.object({
    sessionTtlMinutes: z.number().int().min(5).describe('Web portal session lifetime'),
    secureCookies: z.boolean().describe('Mark session cookies Secure even on plain HTTP requests (they always are over HTTPS, and behind a proxy trusted by http.trustProxy that says https)'),
    reauthMinutes: z.number().int().min(1).describe('A session signed in longer ago than this must send the current password again to create an app password or API token'),
  }).strict(),
}).strict();

export type Config = z.infer<typeof configSchema>;
