// PostgreSQL schema migrations, run at start by every instance under one advisory lock: when
// three instances start together on an empty database, one creates the schema and the others
// wait for it and find nothing left to do. The whole run is one transaction (PostgreSQL's DDL
// is transactional), so a crash half-way leaves the previous version, never half of one.
// The schema mirrors SQLite's (sqlite/migrations.ts) except the change feed: one row per write
// transaction keyed by (account, revision) instead of trigger rows on a global sequence.
import type pg from 'pg';
import { groupKey } from '../../domain/text-fold.ts';

/** Any fixed 64-bit key, the same in every dialbook: pg_advisory_xact_lock(MIGRATION_LOCK). */
const MIGRATION_LOCK = 0x6469616c626f6f6bn; // "dialbook"

/** A migration is SQL, or a step that needs the project's own rules (JavaScript) as well. */
type Migration = string | ((c: pg.ClientBase) => Promise<void>);

const MIGRATIONS: Migration[] = [
  // 1: everything the SQLite schema has up to its migration 8 (but the credential kinds of 7: in
  // 2), in PostgreSQL's terms. Folded
  // columns are COLLATE "C": a prefix search is then a plain B-tree range, whatever the locale.
  `
  CREATE TABLE accounts (
    id text PRIMARY KEY,
    name text NOT NULL,
    region text NOT NULL,
    settings text NOT NULL,
    incarnation text NOT NULL,
    revision bigint NOT NULL DEFAULT 1,
    phone_username text,
    phone_secret text,
    phone_path_token text UNIQUE,
    created_at text NOT NULL,
    updated_at text NOT NULL
  );

  CREATE TABLE users (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    username text NOT NULL,
    name text NOT NULL,
    scope text NOT NULL,
    extension text NOT NULL DEFAULT '',
    direct_number text NOT NULL DEFAULT '',
    email text NOT NULL DEFAULT '',
    password_hash text,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    UNIQUE (account_id, username)
  );

  CREATE TABLE api_tokens (
    id text PRIMARY KEY,
    account_id text REFERENCES accounts(id) ON DELETE CASCADE,
    user_id text REFERENCES users(id) ON DELETE CASCADE,
    label text NOT NULL DEFAULT '',
    token_hash text NOT NULL UNIQUE,
    created_at text NOT NULL,
    last_used_at text
  );

  -- seq: the stable order a read model is built in (SQLite's rowid).
  CREATE TABLE contacts (
    id text PRIMARY KEY,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    source text NOT NULL,
    user_id text REFERENCES users(id) ON DELETE CASCADE,
    first_name text NOT NULL DEFAULT '',
    last_name text NOT NULL DEFAULT '',
    company text NOT NULL DEFAULT '',
    title text NOT NULL DEFAULT '',
    work_number text NOT NULL DEFAULT '',
    mobile_number text NOT NULL DEFAULT '',
    home_number text NOT NULL DEFAULT '',
    fax_number text NOT NULL DEFAULT '',
    email text NOT NULL DEFAULT '',
    first_f text COLLATE "C" NOT NULL,
    last_f text COLLATE "C" NOT NULL,
    company_f text COLLATE "C" NOT NULL,
    title_f text COLLATE "C" NOT NULL,
    email_f text COLLATE "C" NOT NULL,
    display_f text COLLATE "C" NOT NULL,
    sort_key text COLLATE "C" NOT NULL,
    created_at text NOT NULL,
    created_by text,
    updated_at text NOT NULL,
    updated_by text,
    revision integer NOT NULL DEFAULT 1
  );
  CREATE INDEX contacts_seq ON contacts(account_id, seq);
  CREATE INDEX contacts_sort ON contacts(account_id, sort_key);
  CREATE INDEX contacts_first ON contacts(account_id, first_f);
  CREATE INDEX contacts_last ON contacts(account_id, last_f);
  CREATE INDEX contacts_company ON contacts(account_id, company_f);
  CREATE INDEX contacts_display ON contacts(account_id, display_f);
  CREATE INDEX contacts_user ON contacts(user_id) WHERE user_id IS NOT NULL;

  -- digits_rev: the digits reversed, so a caller-ID tail match is an index range scan.
  CREATE TABLE contact_numbers (
    contact_id text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    account_id text NOT NULL,
    kind text NOT NULL,
    position integer NOT NULL,
    raw text NOT NULL,
    e164 text,
    digits text COLLATE "C" NOT NULL,
    digits_rev text COLLATE "C" NOT NULL,
    PRIMARY KEY (contact_id, position)
  );
  CREATE INDEX numbers_tail ON contact_numbers(account_id, digits_rev);

  CREATE TABLE contact_words (
    account_id text NOT NULL,
    word text COLLATE "C" NOT NULL,
    contact_id text NOT NULL,
    PRIMARY KEY (account_id, word, contact_id)
  );

  CREATE TABLE groups (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name text NOT NULL,
    created_at text NOT NULL
  );
  CREATE UNIQUE INDEX groups_name ON groups(account_id, lower(name));

  CREATE TABLE contact_groups (
    contact_id text NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    group_id text NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    position integer NOT NULL,
    PRIMARY KEY (contact_id, group_id)
  );
  CREATE INDEX contact_groups_group ON contact_groups(group_id, contact_id);

  CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at text NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    target_id text,
    before text,
    after text,
    batch_id text
  );
  CREATE INDEX audit_account ON audit_log(account_id, id);
  CREATE INDEX audit_target ON audit_log(account_id, target_id, id);

  -- The change feed: one row per write transaction that changed entries, under the revision that
  -- transaction took (first, under the account row's lock), so revisions appear in commit order
  -- per account. everything: every entry changed (settings, an import of most of the account).
  CREATE TABLE change_log (
    account_id text NOT NULL,
    revision bigint NOT NULL,
    changed text[] NOT NULL DEFAULT '{}',
    deleted text[] NOT NULL DEFAULT '{}',
    everything boolean NOT NULL DEFAULT false,
    at bigint NOT NULL DEFAULT extract(epoch FROM now())::bigint,
    PRIMARY KEY (account_id, revision)
  );
  CREATE INDEX change_log_at ON change_log(at);
  -- Revisions at or below the floor were pruned: a reader that last saw one must start over.
  CREATE TABLE change_floor (account_id text PRIMARY KEY, revision bigint NOT NULL);

  CREATE TABLE signin_failures (key text PRIMARY KEY, failures double precision NOT NULL, last_at bigint NOT NULL);

  CREATE TABLE carddav_cards (
    contact_id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    owner_id text,
    name text NOT NULL,
    uid text NOT NULL
  );
  CREATE INDEX carddav_cards_name ON carddav_cards(account_id, name);
  CREATE INDEX carddav_cards_uid ON carddav_cards(account_id, uid);

  CREATE TABLE portal_sessions (
    id text PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    account_id text REFERENCES accounts(id) ON DELETE CASCADE,
    user_id text REFERENCES users(id) ON DELETE CASCADE,
    created_at bigint NOT NULL,
    last_seen_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    user_agent text NOT NULL DEFAULT '',
    ip text NOT NULL DEFAULT ''
  );
  CREATE INDEX portal_sessions_user ON portal_sessions(account_id, user_id);
  CREATE INDEX portal_sessions_expiry ON portal_sessions(expires_at);

  CREATE TABLE health_probe (id integer PRIMARY KEY CHECK (id = 1), at bigint NOT NULL);
  `,
  // 2: what SQLite's migrations 7 and 9 added, so users, tokens, sessions and the sign-in limiter
  // run on PostgreSQL: credential kinds (platform, a manager's API token, an app password), when a
  // session last proved its password, and the limiter's counters of DISTINCT failures with their
  // members and the sources known to work (see sqlite/migrations.ts for why each exists). No
  // PostgreSQL store wrote users, tokens, sessions or counters before this version, so there is
  // nothing to convert: the old counter table is simply replaced.
  `
  ALTER TABLE api_tokens ADD COLUMN kind text NOT NULL DEFAULT 'app-password' CHECK (kind IN ('platform', 'api', 'app-password'));
  UPDATE api_tokens SET kind = 'platform' WHERE account_id IS NULL;
  CREATE INDEX api_tokens_user ON api_tokens(account_id, user_id);
  CREATE INDEX users_email ON users(account_id, email);
  ALTER TABLE portal_sessions ADD COLUMN authenticated_at bigint NOT NULL DEFAULT 0;
  UPDATE portal_sessions SET authenticated_at = created_at;

  DROP TABLE signin_failures;
  CREATE TABLE signin_failures (
    key text PRIMARY KEY,
    failures double precision NOT NULL,
    last_at bigint NOT NULL,
    leak_from bigint NOT NULL
  );
  CREATE TABLE signin_failure_members (
    key text NOT NULL,
    member text NOT NULL,
    PRIMARY KEY (key, member)
  );
  CREATE TABLE signin_known_sources (
    source text NOT NULL,
    login text NOT NULL,
    last_ok bigint NOT NULL,
    PRIMARY KEY (source, login)
  );
  `,
  // 3: group names fold one way everywhere (groupKey: case AND accents, so "Équipe", "équipe"
  // and "EQUIPE" are one group); lower(name) folded case only. Each group stores its key under a
  // unique index, which replaces the lower(name) one. Groups that the new key makes one are
  // merged into the oldest (SQLite's migration 11): members move over, the others go, and each
  // account concerned gets a revision whose feed entry lists the members that moved.
  async (c) => {
    await c.query(`ALTER TABLE groups ADD COLUMN name_key text COLLATE "C" NOT NULL DEFAULT ''`);
    await mergeFoldedGroups(c);
    await c.query('DROP INDEX groups_name');
    await c.query('CREATE UNIQUE INDEX groups_name_key ON groups(account_id, name_key)');
  },
  // 4: what SQLite's migration 12 added: each change row names the address books it touched
  // (src/store/feed-books.ts; NULL: every book, as for rows from before), so that CardDAV sync
  // tokens and ctags move per book, and pruning keeps a floor per book ('*': rows of every book;
  // the account-wide floor so far becomes that). A row of "everything" keeps its deleted ids now:
  // a book's sync reports the whole book AND the deletions instead of starting over.
  `
  ALTER TABLE change_log ADD COLUMN books text[];
  CREATE TABLE change_book_floor (
    account_id text NOT NULL,
    book text NOT NULL,
    revision bigint NOT NULL,
    PRIMARY KEY (account_id, book)
  );
  INSERT INTO change_book_floor (account_id, book, revision) SELECT account_id, '*', revision FROM change_floor;
  `,
  // 5: the vCard an app last sent for a contact (SQLite's migration 13).
  `
  CREATE TABLE contact_vcards (
    contact_id text PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    account_id text NOT NULL,
    vcard text NOT NULL
  );
  `,
  // 6: no foreign-key checks on the three tables an import fills row by row. Each was a lookup
  // per inserted row that PostgreSQL cannot batch, about a third of the server's work in an
  // import's COPYs (bench/README.md, "PostgreSQL import"). What they guarded holds without
  // them: every write of an account's contacts first locks the account's row (its revision,
  // PgWrites.accountTx), so no contact is written for an account being deleted; deleting the
  // account removes its contacts, numbers and audit entries explicitly (pg-account-store.ts);
  // a contact's numbers go with it in deleteRow, as its words always did. SQLite's batch turns
  // its foreign-key checks off for an import for the same reason.
  `
  ALTER TABLE contacts DROP CONSTRAINT IF EXISTS contacts_account_id_fkey;
  ALTER TABLE contact_numbers DROP CONSTRAINT IF EXISTS contact_numbers_contact_id_fkey;
  ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_account_id_fkey;
  `,
];

/** Fills groups.name_key; groups whose keys meet are merged into the oldest (migration 3). */
async function mergeFoldedGroups(c: pg.ClientBase): Promise<void> {
  const { rows } = await c.query<{ id: string; account_id: string; name: string }>('SELECT id, account_id, name FROM groups ORDER BY account_id, created_at, id');
  const kept = new Map<string, string>();
  const moved = new Map<string, Set<string>>();
  for (const r of rows) {
    const key = groupKey(r.name);
    const into = kept.get(r.account_id + '\0' + key);
    if (into === undefined) {
      kept.set(r.account_id + '\0' + key, r.id);
      await c.query('UPDATE groups SET name_key = $1 WHERE id = $2', [key, r.id]);
      continue;
    }
    const members = await c.query<{ contact_id: string }>(`INSERT INTO contact_groups (contact_id, group_id, position)
      SELECT contact_id, $1, position FROM contact_groups WHERE group_id = $2 ON CONFLICT DO NOTHING RETURNING contact_id`, [into, r.id]);
    const all = await c.query<{ contact_id: string }>('DELETE FROM contact_groups WHERE group_id = $1 RETURNING contact_id', [r.id]);
    await c.query('DELETE FROM groups WHERE id = $1', [r.id]);
    let set = moved.get(r.account_id);
    if (!set) moved.set(r.account_id, (set = new Set()));
    for (const m of [...members.rows, ...all.rows]) set.add(m.contact_id);
  }
  for (const [accountId, changed] of moved) {
    const { rows: rev } = await c.query<{ revision: string }>('UPDATE accounts SET revision = revision + 1 WHERE id = $1 RETURNING revision', [accountId]);
    await c.query('INSERT INTO change_log (account_id, revision, changed) VALUES ($1, $2, $3)', [accountId, rev[0].revision, [...changed]]);
  }
}

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION. Returns the migrations this call applied (the others
 * were applied by whoever held the lock first). Refuses a database newer than this dialbook.
 */
export async function migrate(client: pg.ClientBase): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    // Held to COMMIT: every other starter waits here, then reads the version this one wrote.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query('CREATE TABLE IF NOT EXISTS dialbook_schema (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM dialbook_schema');
    const current = rows[0].v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(`Database schema version ${current} is newer than this dialbook (${MIGRATIONS.length}); upgrade dialbook`);
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      const step = MIGRATIONS[v];
      if (typeof step === 'string') await client.query(step);
      else await step(client);
      await client.query('INSERT INTO dialbook_schema (version) VALUES ($1)', [v + 1]);
      applied.push(v + 1);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return applied;
}
