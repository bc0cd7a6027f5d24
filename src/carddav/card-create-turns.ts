// One card-writing PUT at a time per account, in this process. A PUT that creates a card checks
// that no card of the book has its name or UID, then creates it: two store calls, and on the
// asynchronous store another PUT's calls can run between them (two cards with one UID, or two
// with one name). The store has no call that checks and creates in one transaction
// (createContactWithCard does not check), so the check and the write take turns here. Not
// covered: another instance on the same PostgreSQL database; that needs the check inside the
// store's transaction.
export class CreateTurns {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every task queued before it under the same key. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    // Forget the key once its last task is done: one entry per account with a PUT in flight.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
