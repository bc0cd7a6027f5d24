// User passwords: scrypt with a per-password salt, at OWASP's current guidance (N = 2^17, r = 8,
// p = 1: 128 MiB and most of a second per hash, on purpose). Each stored hash names its own
// parameters, so older, cheaper hashes still verify and are upgraded at the next sign-in
// (needsRehash). The memory is why at most two hashes run at once; more callers queue.
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AppError } from '../errors.ts';

export const PASSWORD_PARAMS = { N: 2 ** 17, r: 8, p: 1 };
// scrypt needs 128 * N * r * p bytes; Node refuses above maxmem (32 MiB by default).
const MAXMEM = 256 * 1024 * 1024;
const MAX_RUNNING = 2;
const MAX_WAITING = 500;

let running = 0;
const waiting: (() => void)[] = [];
/** Hashes computed by this process (tests read it to see which checks hashed). */
export const passwordHashing = { hashes: 0 };

/**
 * Wrong passwords checked lately, as an HMAC (per-process key) of the stored hash and the
 * password, never the password: the sign-in limiter no longer slows a device that repeats one
 * wrong secret (a phone or app with a stale password), so without this every repeat cost a hash
 * (128 MiB, most of a second) and one address replaying a password kept both hash slots busy.
 * Keyed by the stored hash too, so a password change (a new hash) ends every entry at once.
 */
const KNOWN_WRONG_MS = 60_000;
const KNOWN_WRONG_MAX = 10_000;
const knownWrongKey = randomBytes(32);
const knownWrong = new Map<string, number>();

function wrongMark(stored: string | null, password: string): string {
  return createHmac('sha256', knownWrongKey).update(stored ?? '\u0000none').update('\u0000').update(password).digest('base64');
}

function isKnownWrong(mark: string): boolean {
  const until = knownWrong.get(mark);
  if (until === undefined) return false;
  if (until > Date.now()) return true;
  knownWrong.delete(mark);
  return false;
}

function rememberWrong(mark: string): void {
  knownWrong.delete(mark);
  knownWrong.set(mark, Date.now() + KNOWN_WRONG_MS);
  // oldest first: a flood of distinct wrong passwords cannot grow it past the bound
  if (knownWrong.size > KNOWN_WRONG_MAX) knownWrong.delete(knownWrong.keys().next().value!);
}

async function scrypt(pw: string, salt: Buffer, len: number, opts: ScryptOptions): Promise<Buffer> {
  if (running >= MAX_RUNNING) {
    if (waiting.length >= MAX_WAITING) throw new AppError(503, 'busy', 'Too many sign-ins at once: try again in a few seconds', [], 51);
    await new Promise<void>((res) => waiting.push(res));
  }
  running++;
  passwordHashing.hashes++;
  try {
    return await new Promise<Buffer>((res, rej) => scryptCb(pw, salt, len, { ...opts, maxmem: MAXMEM }, (e, k) => (e ? rej(e) : res(k))));
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = PASSWORD_PARAMS;
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, PASSWORD_PARAMS);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  // A repeat of a wrong password answered lately is answered at once, for known and unknown
  // users alike (so a repeat tells nothing about which it is); a first try always hashes.
  const mark = wrongMark(stored, password);
  if (isKnownWrong(mark)) return false;
  const parsed = stored ? parse(stored) : null;
  if (!parsed) {
    // Spend the same time as a real check so unknown users cannot be told apart by timing.
    await scrypt(password, randomBytes(16), 32, PASSWORD_PARAMS);
    rememberWrong(mark);
    return false;
  }
  const actual = await scrypt(password, parsed.salt, parsed.key.length, parsed.params);
  const ok = timingSafeEqual(actual, parsed.key);
  if (!ok) rememberWrong(mark);
  return ok;
}

/** True when a stored hash is weaker than today's parameters (rehash it after a successful check). */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return false;
  const { N, r, p } = parsed.params;
  return N < PASSWORD_PARAMS.N || r < PASSWORD_PARAMS.r || p < PASSWORD_PARAMS.p;
}

function parse(stored: string): { params: { N: number; r: number; p: number }; salt: Buffer; key: Buffer } | null {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return null;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  // Parameters come from our own database; these bounds only keep a damaged row from asking for
  // more memory than the process allows.
  if (![params.N, params.r, params.p].every(Number.isInteger) || 128 * params.N * params.r * params.p > MAXMEM) return null;
  return { params, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}
