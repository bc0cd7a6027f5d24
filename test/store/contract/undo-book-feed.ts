// SQL that takes a migrated database back to before the book feed (SQLite migration 12,
// PostgreSQL migration 4) and what came after it (the kept vCards, 13 and 5): the change rows lose
// their book, the per-book floors go, and SQLite's triggers are as migration 2 wrote them. Tests of that migration and of earlier ones use it to
// build the database an older dialbook left. The version number is the caller's to set.
export const UNDO_BOOK_FEED = {
  sqlite: `DROP TABLE contact_vcards; DROP TRIGGER change_account_delete_book_floor; DROP TABLE change_book_floor; DROP INDEX change_log_book;
    DROP TRIGGER change_contact_update; DROP TRIGGER change_contact_delete; DROP TRIGGER change_membership_delete; DROP TRIGGER change_group_rename;
    ALTER TABLE change_log DROP COLUMN book;
    CREATE TRIGGER change_contact_update AFTER UPDATE ON contacts BEGIN
      INSERT INTO change_log (account_id, contact_id) VALUES (NEW.account_id, NEW.id);
    END;
    CREATE TRIGGER change_contact_delete AFTER DELETE ON contacts WHEN EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id) BEGIN
      INSERT INTO change_log (account_id, contact_id, deleted) VALUES (OLD.account_id, OLD.id, 1);
    END;
    CREATE TRIGGER change_membership_delete AFTER DELETE ON contact_groups BEGIN
      INSERT INTO change_log (account_id, contact_id) SELECT g.account_id, OLD.contact_id FROM groups g
        WHERE g.id = OLD.group_id AND EXISTS (SELECT 1 FROM accounts WHERE id = g.account_id);
    END;
    CREATE TRIGGER change_group_rename AFTER UPDATE OF name ON groups BEGIN
      INSERT INTO change_log (account_id, contact_id) SELECT NEW.account_id, contact_id FROM contact_groups WHERE group_id = NEW.id;
    END;`,
  postgres: 'DROP TABLE contact_vcards; ALTER TABLE change_log DROP COLUMN books; DROP TABLE change_book_floor;',
};
