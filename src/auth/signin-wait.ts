// The sign-in limiter's wait policy, in one place for the limiter and for every store engine:
// the limiter asks it whether an attempt must wait, and the stores ask it, inside their failure
// transaction, when a counter starts to leak. Stores hold no policy of their own; they are
// handed signinFailurePolicy(...) with each recordSigninFailure call, so SQLite and PostgreSQL
// cannot drift apart.
import type { SigninFailurePolicy } from '../store/store.ts';

/**
 * The wait a counter of `failures` imposes after its latest failure: none below its free
 * allowance, then 1, 2, 4 ... s up to maxDelayMs. A failure is counted whole until it has leaked
 * away entirely (9.99 counts as 10). A counter starts to leak only once the wait it imposed is
 * over: a guesser who comes back at the end of each wait gains nothing from the leak, while
 * scattered typos (no wait) leak at once.
 */
export function signinWaitMs(failures: number, free: number, maxDelayMs: number): number {
  const n = Math.ceil(failures - 1e-9);
  return n < free ? 0 : Math.min(2 ** (n - free) * 1000, maxDelayMs);
}

/** What a store is handed to record a failure: the leak rate and the wait (signin.* config). */
export function signinFailurePolicy(limits: { forgetFailureSeconds: number; maxDelaySeconds: number }): SigninFailurePolicy {
  const maxDelayMs = limits.maxDelaySeconds * 1000;
  return { leakMs: limits.forgetFailureSeconds * 1000, waitMs: (failures, free) => signinWaitMs(failures, free, maxDelayMs) };
}
