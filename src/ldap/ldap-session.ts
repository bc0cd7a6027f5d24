// What a connection may see after its last bind: one account, and maybe one user's personal
// contacts. Anonymous connections see an account only if that account allows it.
export interface LdapSession {
  accountId: string;
  /** The account as it was at the bind: a connection bound to an account that was deleted and
   *  created again under its id must not see the new one. */
  incarnation: string;
  /** Set when a user (not the phones' shared credentials) bound: their personal contacts show too. */
  userId: string | null;
}

const sessions = new WeakMap<object, LdapSession>();

export const sessionOf = (conn: object): LdapSession | null => sessions.get(conn) ?? null;
export const setSession = (conn: object, s: LdapSession): void => void sessions.set(conn, s);
export const clearSession = (conn: object): void => void sessions.delete(conn);
