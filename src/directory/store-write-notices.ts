// The synchronous store as the not yet converted callers use it, telling the directory which
// account each write touched, so a change made in this process (admin API, import, CLI) is in the
// very next search. Writes through ctx.db need no wrapper: the store hints them to the directory's
// change follower itself (db.watchChanges). Writes from other processes are found by the
// follower's poll, or on PostgreSQL by its hints. Goes once no caller writes through ctx.store.
import type { Store } from '../store/store.ts';

/** Store methods that change what an account's directory shows; the account is the first argument. */
const ACCOUNT_WRITES = [
  'updateAccount', 'deleteAccount',
  'createUser', 'updateUser', 'deleteUser',
  'createContact', 'updateContact', 'deleteContact', 'applyBatch',
  'createGroup', 'renameGroup', 'deleteGroup',
] as const satisfies readonly (keyof Store)[];

export function withWriteNotices(store: Store, changed: (accountId: string) => void): Store {
  const wrapped: Store = { ...store };
  for (const name of ACCOUNT_WRITES) {
    const original = store[name] as (accountId: string, ...rest: unknown[]) => unknown;
    (wrapped as unknown as Record<string, unknown>)[name] = (accountId: string, ...rest: unknown[]) => {
      try {
        return original(accountId, ...rest);
      } finally {
        changed(accountId);
      }
    };
  }
  // a batch in steps changes the account when it commits
  wrapped.openBatch = (accountId, scope, actor) => {
    const batch = store.openBatch(accountId, scope, actor);
    return {
      ...batch,
      commit: () => {
        try {
          return batch.commit();
        } finally {
          changed(accountId);
        }
      },
    };
  };
  return wrapped;
}
