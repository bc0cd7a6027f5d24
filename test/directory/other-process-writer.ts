// Run as a separate process by other-process.test.ts: opens the same database file through the
// store, as a second dialbook process (CLI import, another server) would, and makes one change.
// argv: <db file> <account> create <lastName> <number> | delete <contactId>
import { prepareContact } from '../../src/domain/prepare-contact.ts';
import { openSqliteAsyncStore } from '../../src/store/sqlite/sqlite-async-store.ts';

const [file, account, action, a, b] = process.argv.slice(2);
const store = openSqliteAsyncStore(file);
const actor = { id: 'other-process' };
if (action === 'create') {
  const c = await store.createContact(account, { source: 'shared' }, prepareContact({ lastName: a, workNumber: b }, 'US'), actor);
  process.stdout.write(c.id);
} else {
  await store.deleteContact(account, { source: 'shared' }, a, actor);
}
await store.close();
