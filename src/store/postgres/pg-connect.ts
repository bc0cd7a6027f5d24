// The first connection of a start, with the one error an operator needs when it fails: which
// server (host and port, never the URL, which may hold the password) and why, e.g.
// "Cannot reach PostgreSQL at db.internal:5432: connect ECONNREFUSED". The pool's connect timeout
// bounds the wait: a server that never answers fails the start in seconds, not at the OS's TCP
// timeout (minutes).
import pg from 'pg';

/** Where a connection string points, as the driver reads it (a socket directory counts as the host). */
export function serverOf(url: string): string {
  const c = new pg.Client({ connectionString: url });
  return `${c.host}:${c.port}`;
}

export class PostgresUnreachableError extends Error {
  constructor(readonly server: string, reason: string) {
    super(`Cannot reach PostgreSQL at ${server}: ${reason}`);
    this.name = 'PostgresUnreachableError';
  }
}

/** pool.connect(), or a PostgresUnreachableError naming the server; the pool is ended on failure. */
export async function connectOrExplain(pool: pg.Pool, url: string): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (err) {
    await pool.end().catch(() => {});
    const e = err as Error & { code?: string };
    // The driver's own messages name the host at most (e.g. "connect ECONNREFUSED 127.0.0.1:1");
    // should one ever quote the password, it is masked all the same.
    const reason = /timeout/i.test(e.message) ? `no answer within the connect timeout (${e.message})` : e.code ? `${e.code} (${e.message})` : e.message;
    const password = passwordOf(url);
    throw new PostgresUnreachableError(serverOf(url), password ? reason.replaceAll(password, '***') : reason);
  }
}

function passwordOf(url: string): string {
  const c = new pg.Client({ connectionString: url });
  return typeof c.password === 'string' ? c.password : '';
}

/** Whether the database at url already has dialbook's schema table (read without migrating: a restore checks it). */
export async function hasDialbookSchema(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ t: string | null }>("SELECT to_regclass('dialbook_schema')::text AS t");
    return typeof rows[0]?.t === 'string';
  } finally {
    await c.end();
  }
}
