// One audit record per change: who, when, what, before and after.
export type AuditAction =
  | 'contact.create' | 'contact.update' | 'contact.delete'
  | 'group.create' | 'group.rename' | 'group.delete'
  | 'user.create' | 'user.update' | 'user.delete'
  | 'account.create' | 'account.update' | 'import';

export interface AuditEntry {
  id: number;
  accountId: string;
  at: string;
  actor: string;
  action: AuditAction;
  targetId: string | null;
  before: unknown;
  after: unknown;
  batchId: string | null;
}

/** Who is making a change: recorded in audit and created/updated-by. */
export interface Actor {
  /** e.g. "user:ab12", "platform-admin", "cli" */
  id: string;
  /** Import batch the change belongs to. */
  batchId?: string;
}
