// Versioned schema migrations, applied in order inside one transaction each.
// PRAGMA user_version records how far a database has come.
import type Database from 'better-sqlite3';
import { groupKey } from '../../domain/text-fold.ts';

/** A migration is SQL, or a step that needs the project's own rules (JavaScript) as well. */
type Migration = string | ((db: Database.Database) => void);

const MIGRATIONS: Migration[] = [
  // 1: accounts, users, tokens, contacts, numbers, words, groups, audit
  `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    settings TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    phone_username TEXT,
    phone_secret TEXT,
    phone_path_token TEXT UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    extension TEXT NOT NULL DEFAULT '',
    direct_number TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (account_id, username)
  ) STRICT;
  CREATE INDEX users_email ON users(account_id, email);

  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT
  ) STRICT;

  -- source: shared | personal | user. user_id: owner of a personal contact, or the user an
  -- internal-user entry mirrors. *_f columns hold the folded (lowercase, accent-free) forms.
  CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    work_number TEXT NOT NULL DEFAULT '',
    mobile_number TEXT NOT NULL DEFAULT '',
    home_number TEXT NOT NULL DEFAULT '',
    fax_number TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    first_f TEXT NOT NULL,
    last_f TEXT NOT NULL,
    company_f TEXT NOT NULL,
    title_f TEXT NOT NULL,
    email_f TEXT NOT NULL,
    display_f TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT,
    revision INTEGER NOT NULL DEFAULT 1
  ) STRICT;
  -- Name indexes cover what a search needs to pick and order a page (sort key, visibility), so
  -- a prefix search sorts index entries, not table rows.
  CREATE INDEX contacts_sort ON contacts(account_id, sort_key, source, user_id);
  CREATE INDEX contacts_first ON contacts(account_id, first_f, sort_key, source, user_id);
  CREATE INDEX contacts_last ON contacts(account_id, last_f, sort_key, source, user_id);
  CREATE INDEX contacts_company ON contacts(account_id, company_f, sort_key, source, user_id);
  CREATE INDEX contacts_display ON contacts(account_id, display_f, sort_key, source, user_id);
  CREATE INDEX contacts_user ON contacts(user_id) WHERE user_id IS NOT NULL;

  -- digits_rev: the digits-only form reversed, so a caller-ID tail match is an index range scan.
  CREATE TABLE contact_numbers (
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    position INTEGER NOT NULL,
    raw TEXT NOT NULL,
    e164 TEXT,
    digits TEXT NOT NULL,
    digits_rev TEXT NOT NULL,
    PRIMARY KEY (contact_id, position)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX numbers_tail ON contact_numbers(account_id, digits_rev);

  -- Words of first name, last name and company, for "any word starts with" search. No foreign
  -- key and no index by contact: the writer deletes a contact's words by the words themselves
  -- (it knows them), which keeps an import at half the B-tree writes.
  CREATE TABLE contact_words (
    account_id TEXT NOT NULL,
    word TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (account_id, word, contact_id)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE,
    created_at TEXT NOT NULL,
    UNIQUE (account_id, name)
  ) STRICT;

  CREATE TABLE contact_groups (
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (contact_id, group_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX contact_groups_group ON contact_groups(group_id, contact_id);

  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_id TEXT,
    before TEXT,
    after TEXT,
    batch_id TEXT
  ) STRICT;
  CREATE INDEX audit_account ON audit_log(account_id, id);
  CREATE INDEX audit_target ON audit_log(account_id, target_id, id);
  `,
  // 2: the contact change feed (LDAP read model, CardDAV sync) and sign-in failure counters.
  // Triggers, not writer code, fill change_log: every path that touches a contact row, its
  // group memberships or a group's name is covered, including cascades and future writers.
  // contact_id NULL marks a change to every entry of the account (settings that alter them all).
  `
  -- No foreign key on account_id: deleting an account cascades to its contacts, whose delete
  -- triggers would otherwise log rows for an account that no longer exists (and fail). The
  -- triggers skip accounts being deleted, and a trigger on accounts drops their rows.
  CREATE TABLE change_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    contact_id TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    at INTEGER NOT NULL DEFAULT (unixepoch())
  ) STRICT;
  CREATE INDEX change_log_account ON change_log(account_id, id);
  CREATE INDEX change_log_at ON change_log(at);

  CREATE TRIGGER change_contact_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO change_log (account_id, contact_id) VALUES (NEW.account_id, NEW.id);
  END;
  CREATE TRIGGER change_contact_update AFTER UPDATE ON contacts BEGIN
    INSERT INTO change_log (account_id, contact_id) VALUES (NEW.account_id, NEW.id);
  END;
  CREATE TRIGGER change_contact_delete AFTER DELETE ON contacts
    WHEN EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id) BEGIN
    INSERT INTO change_log (account_id, contact_id, deleted) VALUES (OLD.account_id, OLD.id, 1);
  END;
  CREATE TRIGGER change_membership_insert AFTER INSERT ON contact_groups BEGIN
    INSERT INTO change_log (account_id, contact_id) SELECT account_id, NEW.contact_id FROM groups WHERE id = NEW.group_id;
  END;
  CREATE TRIGGER change_membership_delete AFTER DELETE ON contact_groups BEGIN
    INSERT INTO change_log (account_id, contact_id) SELECT g.account_id, OLD.contact_id FROM groups g
      WHERE g.id = OLD.group_id AND EXISTS (SELECT 1 FROM accounts WHERE id = g.account_id);
  END;
  CREATE TRIGGER change_account_delete AFTER DELETE ON accounts BEGIN
    DELETE FROM change_log WHERE account_id = OLD.id;
  END;
  CREATE TRIGGER change_group_rename AFTER UPDATE OF name ON groups BEGIN
    INSERT INTO change_log (account_id, contact_id) SELECT NEW.account_id, contact_id FROM contact_groups WHERE group_id = NEW.id;
  END;
  CREATE TRIGGER change_account_settings AFTER UPDATE OF settings, region ON accounts
    WHEN OLD.settings IS NOT NEW.settings OR OLD.region IS NOT NEW.region BEGIN
    INSERT INTO change_log (account_id, contact_id) VALUES (NEW.id, NULL);
  END;

  -- Ids below this were pruned: a feed reader that last saw one of them must start over.
  CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;

  -- Recent failed sign-ins per key (an address, or a login); failures leak away over time.
  CREATE TABLE signin_failures (
    key TEXT PRIMARY KEY,
    failures REAL NOT NULL,
    last_at INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  // 3: the resource name and UID a CardDAV client chose for a contact it created, so
  // the card keeps the href and UID the client knows (other contacts use their id for both). Rows
  // outlive their contact on purpose: a sync-collection reports the deletion under that name, and
  // only in its book (owner_id: the user of a personal card, NULL for a shared one).
  `
  CREATE TABLE carddav_cards (
    contact_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    owner_id TEXT,
    name TEXT NOT NULL,
    uid TEXT NOT NULL
  ) STRICT;
  CREATE INDEX carddav_cards_name ON carddav_cards(account_id, name);
  CREATE INDEX carddav_cards_uid ON carddav_cards(account_id, uid);
  `,
  // 4: portal sessions survive restarts; a row for the readiness write probe.
  // Sessions: only a hash of the cookie value is kept;
  // times are epoch milliseconds (compared on every request).
  `
  CREATE TABLE portal_sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT ''
  ) STRICT;
  CREATE INDEX portal_sessions_user ON portal_sessions(account_id, user_id);
  CREATE INDEX portal_sessions_expiry ON portal_sessions(expires_at);
  -- /readyz proves the database takes writes by updating this one row.
  CREATE TABLE health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL) STRICT;
  `,
  // 5: a new contact is logged by the writer (SqliteContactWriter: insertRow for one contact,
  // logCreated at the end of a batch), not by a trigger: the insert triggers on contacts and
  // contact_groups cost a quarter of a 100k-row import (56 against 80 µs a row; a WHEN guard
  // does not help, the trigger's start-up is the cost). Group memberships are inserted only with
  // a new contact (logged) or by an update of the contact row (logged by its update trigger).
  // Updates, deletions, cascades and renames stay with their triggers.
  `
  DROP TRIGGER change_contact_insert;
  DROP TRIGGER change_membership_insert;
  `,
  // 6: each account incarnation has an identity of its own. An account deleted and created again
  // under the same id starts at revision 1 with a fresh change log, so every cache keyed by
  // (account id, revision) or by a change point (read models, rendered phonebooks, ETags, LDAP
  // entries, CardDAV sync tokens) took the new account for the old one and kept showing the old
  // one's entries. Caches key on the incarnation as well. The pruning floor of a deleted account
  // goes with it, so nothing of the old change log applies to the new one.
  `
  ALTER TABLE accounts ADD COLUMN incarnation TEXT NOT NULL DEFAULT '';
  UPDATE accounts SET incarnation = lower(hex(randomblob(12)));
  CREATE TRIGGER change_account_delete_floor AFTER DELETE ON accounts BEGIN
    DELETE FROM store_meta WHERE key = 'change_log_floor:' || OLD.id;
  END;
  `,
  // 7: credential kinds. A token is the platform admin's, a manager's API token (scripts) or an
  // app password (CardDAV and apps: contacts only). Until now a user's token could do anything
  // its user could; tokens of users who manage shared contacts today become API tokens (their
  // scripts keep working), every other user's token an app password. Sessions remember when the
  // user last proved their password, for actions that want a recent sign-in.
  `
  ALTER TABLE api_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'app-password' CHECK (kind IN ('platform', 'api', 'app-password'));
  UPDATE api_tokens SET kind = 'platform' WHERE account_id IS NULL;
  UPDATE api_tokens SET kind = 'api' WHERE account_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM users u JOIN accounts a ON a.id = u.account_id
    WHERE u.id = api_tokens.user_id AND u.scope IN (
      SELECT value FROM json_each(COALESCE(json_extract(a.settings, '$.managerScopes'), '["office_manager","call_center_supervisor"]'))));
  CREATE INDEX api_tokens_user ON api_tokens(account_id, user_id);
  ALTER TABLE portal_sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;
  UPDATE portal_sessions SET authenticated_at = created_at;
  `,
  // 8: the change feed keyed by (account, revision) as well (the asynchronous store contract,
  // docs/store-contract.md): each change row carries the account revision its transaction
  // committed as. Every write transaction bumps the revision once, last; the bump tags the rows
  // it wrote (still untagged, found through a partial index). A settings change logs its row in
  // the same UPDATE that bumps, so that trigger writes the new revision itself. Rows kept from
  // before get the account's current revision: a reader of an older revision sees them again,
  // none is skipped. Pruning keeps a per-account revision floor, like the id floor of migration 2
  // (set by SqliteChangeFeed.prune for all accounts at once: a trigger per pruned row made a
  // prune of a million rows several seconds on the event loop).
  `
  ALTER TABLE change_log ADD COLUMN revision INTEGER;
  UPDATE change_log SET revision = (SELECT revision FROM accounts a WHERE a.id = change_log.account_id);
  CREATE INDEX change_log_revision ON change_log(account_id, revision);
  CREATE INDEX change_log_untagged ON change_log(account_id) WHERE revision IS NULL;
  CREATE TRIGGER change_log_tag AFTER UPDATE OF revision ON accounts WHEN NEW.revision IS NOT OLD.revision BEGIN
    UPDATE change_log SET revision = NEW.revision WHERE account_id = NEW.id AND revision IS NULL;
  END;
  DROP TRIGGER change_account_settings;
  CREATE TRIGGER change_account_settings AFTER UPDATE OF settings, region ON accounts
    WHEN OLD.settings IS NOT NEW.settings OR OLD.region IS NOT NEW.region BEGIN
    INSERT INTO change_log (account_id, contact_id, revision) VALUES (NEW.id, NULL, NEW.revision);
  END;
  CREATE TRIGGER change_account_delete_revision_floor AFTER DELETE ON accounts BEGIN
    DELETE FROM store_meta WHERE key = 'change_revision_floor:' || OLD.id;
  END;
  `,
  // 9: the sign-in limiter counts DISTINCT wrong secrets (and distinct failing logins per
  // address), so a phone repeating one stale password is one mistake, not a guessing run. A
  // member is a keyed hash (HMAC) of the secret or login, never the secret, and lives only as
  // long as its counter. Known sources: when each login last signed in from each address, so
  // those addresses keep working while strangers guess at the login. A counter leaks from
  // leak_from, the end of the wait its latest failure imposed. The old counters counted every
  // failure under the same keys; they are short-lived and simply dropped.
  `
  DROP TABLE signin_failures;
  CREATE TABLE signin_failures (
    key TEXT PRIMARY KEY,
    failures REAL NOT NULL,
    last_at INTEGER NOT NULL,
    leak_from INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE signin_failure_members (
    key TEXT NOT NULL,
    member TEXT NOT NULL,
    PRIMARY KEY (key, member)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE signin_known_sources (
    source TEXT NOT NULL,
    login TEXT NOT NULL,
    last_ok INTEGER NOT NULL,
    PRIMARY KEY (source, login)
  ) STRICT, WITHOUT ROWID;
  `,
  // 10: the change history managers read held personal contacts' fields (a manager could read a
  // user's personal contacts there). Writes to personal contacts are no longer audited; the
  // entries of personal contacts that still exist go. (Those of personal contacts deleted before
  // this version cannot be told from shared ones and stay.)
  `
  DELETE FROM audit_log WHERE action LIKE 'contact.%' AND target_id IN (SELECT id FROM contacts WHERE source = 'personal');
  `,
  // 11: group names fold one way everywhere (groupKey: case AND accents, so "Équipe", "équipe"
  // and "EQUIPE" are one group); COLLATE NOCASE folded ASCII letters only. Each group stores its
  // key under a unique index (the NOCASE constraint stays; the key is stricter). Groups that the
  // new key makes one are merged into the oldest: members move over, the others go.
  (db) => {
    db.exec("ALTER TABLE groups ADD COLUMN name_key TEXT NOT NULL DEFAULT ''");
    mergeFoldedGroups(db);
    db.exec('CREATE UNIQUE INDEX groups_name_key ON groups(account_id, name_key)');
  },
  // 12: each change row names the address book it touched (src/store/feed-books.ts), so that
  // CardDAV sync tokens and ctags move per book: an import into Shared left every user's Personal
  // token looking changed (and, with the row that stood for the whole import, invalid). NULL: every
  // book (a settings change; rows from before this version, whose book is not known). New contacts
  // are logged by the writer with their book; the triggers below compute the same keys. Pruning
  // keeps a floor per book ('*' for rows of every book), so an untouched book's token outlives the
  // kept log; the account-wide floor so far becomes the '*' floor (nothing finer is known).
  `
  ALTER TABLE change_log ADD COLUMN book TEXT;
  CREATE INDEX change_log_book ON change_log(account_id, book, revision);
  CREATE TABLE change_book_floor (
    account_id TEXT NOT NULL,
    book TEXT NOT NULL,
    revision INTEGER NOT NULL,
    PRIMARY KEY (account_id, book)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO change_book_floor (account_id, book, revision)
    SELECT substr(key, length('change_revision_floor:') + 1), '*', value FROM store_meta WHERE key LIKE 'change_revision_floor:%';
  CREATE TRIGGER change_account_delete_book_floor AFTER DELETE ON accounts BEGIN
    DELETE FROM change_book_floor WHERE account_id = OLD.id;
  END;
  DROP TRIGGER change_contact_update;
  CREATE TRIGGER change_contact_update AFTER UPDATE ON contacts BEGIN
    INSERT INTO change_log (account_id, contact_id, book) VALUES (NEW.account_id, NEW.id,
      CASE NEW.source WHEN 'personal' THEN 'personal:' || NEW.user_id WHEN 'user' THEN 'users' ELSE 'shared' END);
  END;
  DROP TRIGGER change_contact_delete;
  CREATE TRIGGER change_contact_delete AFTER DELETE ON contacts
    WHEN EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id) BEGIN
    INSERT INTO change_log (account_id, contact_id, deleted, book) VALUES (OLD.account_id, OLD.id, 1,
      CASE OLD.source WHEN 'personal' THEN 'personal:' || OLD.user_id WHEN 'user' THEN 'users' ELSE 'shared' END);
  END;
  DROP TRIGGER change_membership_delete;
  CREATE TRIGGER change_membership_delete AFTER DELETE ON contact_groups BEGIN
    INSERT INTO change_log (account_id, contact_id, book) SELECT g.account_id, OLD.contact_id,
      (SELECT CASE c.source WHEN 'personal' THEN 'personal:' || c.user_id WHEN 'user' THEN 'users' ELSE 'shared' END FROM contacts c WHERE c.id = OLD.contact_id)
      FROM groups g WHERE g.id = OLD.group_id AND EXISTS (SELECT 1 FROM accounts WHERE id = g.account_id);
  END;
  DROP TRIGGER change_group_rename;
  CREATE TRIGGER change_group_rename AFTER UPDATE OF name ON groups BEGIN
    INSERT INTO change_log (account_id, contact_id, book)
      SELECT NEW.account_id, cg.contact_id, CASE c.source WHEN 'personal' THEN 'personal:' || c.user_id WHEN 'user' THEN 'users' ELSE 'shared' END
      FROM contact_groups cg JOIN contacts c ON c.id = cg.contact_id WHERE cg.group_id = NEW.id;
  END;
  `,
  // 13: the vCard an app last sent for a contact (CardDAV PUT), kept whole so that what dialbook
  // does not model (photo, address, note, further numbers ...) comes back to the app. One row per
  // contact that has one; it goes with its contact.
  `
  CREATE TABLE contact_vcards (
    contact_id TEXT PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    vcard TEXT NOT NULL
  ) STRICT;
  `,
];

/** Fills groups.name_key; groups whose keys meet are merged into the oldest (migration 11). */
function mergeFoldedGroups(db: Database.Database): void {
  const rows = db.prepare('SELECT id, account_id, name FROM groups ORDER BY account_id, created_at, id').all() as { id: string; account_id: string; name: string }[];
  const setKey = db.prepare('UPDATE groups SET name_key = ? WHERE id = ?');
  const moveMembers = db.prepare(`INSERT OR IGNORE INTO contact_groups (contact_id, group_id, position)
    SELECT contact_id, ?, position FROM contact_groups WHERE group_id = ?`);
  const dropMembers = db.prepare('DELETE FROM contact_groups WHERE group_id = ?');
  const drop = db.prepare('DELETE FROM groups WHERE id = ?');
  const kept = new Map<string, string>();
  const merged = new Set<string>();
  for (const r of rows) {
    const key = groupKey(r.name);
    const into = kept.get(r.account_id + '\0' + key);
    if (into === undefined) {
      kept.set(r.account_id + '\0' + key, r.id);
      setKey.run(key, r.id);
      continue;
    }
    moveMembers.run(into, r.id);
    dropMembers.run(r.id); // their delete trigger logs the members as changed
    drop.run(r.id);
    merged.add(r.account_id);
  }
  // the bump tags the change rows the triggers wrote (migration 8)
  const bump = db.prepare('UPDATE accounts SET revision = revision + 1 WHERE id = ?');
  for (const accountId of merged) bump.run(accountId);
}

/** `upTo`: stop at that version (tests build an older database to migrate). */
export function migrate(db: Database.Database, upTo = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`Database schema version ${current} is newer than this dialbook (${MIGRATIONS.length}); upgrade dialbook`);
  }
  for (let v = current; v < Math.min(upTo, MIGRATIONS.length); v++) {
    db.transaction(() => {
      const step = MIGRATIONS[v];
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
