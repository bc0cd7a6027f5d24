// Error classes shared by every front end. Each carries an HTTP status, an LDAP result code
// and a stable `code` string. error-answer.ts turns anything thrown into one answer; each front
// end only renders that answer, in exactly one place.

export interface ErrorDetail {
  /** Row number in an import file (1-based, header is row 1), when the error comes from a file. */
  row?: number;
  /** Field or column name. */
  field?: string;
  /** The offending value, as received. */
  value?: unknown;
  reason: string;
}

// LDAP result codes (RFC 4511 A.1, RFC 2891 for sort, draft-ietf-ldapext-ldapv3-vlv for VLV): the
// one table every part of the LDAP server and every error class takes its codes from.
export const LdapCode = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  authMethodNotSupported: 7,
  adminLimitExceeded: 11,
  unavailableCriticalExtension: 12,
  constraintViolation: 19,
  noSuchObject: 32,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  sortControlMissing: 60,
  entryAlreadyExists: 68,
  other: 80,
} as const;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly ldapCode: number = LdapCode.other,
    /** Worth retrying after this many seconds (HTTP Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(400, 'validation_failed', message, details, LdapCode.constraintViolation);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthorized', message, [], LdapCode.invalidCredentials);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super(403, 'forbidden', message, [], LdapCode.insufficientAccessRights);
  }
}
export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`, [], LdapCode.noSuchObject);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(409, 'conflict', message, details, LdapCode.entryAlreadyExists);
  }
}
export class PreconditionFailedError extends AppError {
  constructor(message = 'The resource changed since you read it (If-Match does not match)') {
    super(412, 'precondition_failed', message, [], LdapCode.unwillingToPerform);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'payload_too_large', message, [], LdapCode.unwillingToPerform);
  }
}
export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message, [], LdapCode.unwillingToPerform);
  }
}

/**
 * The one message made from a list of problems: "Invalid <what>: field: reason; field: reason".
 * A problem without a field is named `unnamed` (the input as a whole).
 */
export function summarizeDetails(what: string, details: readonly ErrorDetail[], unnamed = what): string {
  return `Invalid ${what}: ` + details.map((d) => `${d.field ?? unnamed}: ${d.reason}`).join('; ');
}

/** A ValidationError whose message lists its details (summarizeDetails). */
export function invalidInput(what: string, details: ErrorDetail[], unnamed = what): ValidationError {
  return new ValidationError(summarizeDetails(what, details, unnamed), details);
}

/** Turns zod issues into our details list, one entry per field. */
export function detailsFromZod(
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
  input: unknown,
): ErrorDetail[] {
  return issues.map((issue) => {
    const field = issue.path.map(String).join('.') || undefined;
    return { field, value: valueAt(input, issue.path), reason: issue.message };
  });
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Too many wrong credentials from one address or for one login: refused without checking. */
export class TooManyAttemptsError extends AppError {
  constructor(retryAfterSeconds: number, message = `Too many failed sign-ins: try again in ${retryAfterSeconds} s`) {
    super(429, 'too_many_attempts', message, [], LdapCode.unwillingToPerform, retryAfterSeconds);
  }
}
/** The disk (or the database's size limit) is full: the write was rolled back, nothing changed. */
export class StorageFullError extends AppError {
  constructor() {
    super(507, 'storage_full', 'The server has no room left to store this change; nothing was changed. Try again later.', [], LdapCode.unwillingToPerform);
  }
}
/** The database could not be read or written (I/O error, locked, read-only): worth retrying later. */
export class StorageUnavailableError extends AppError {
  constructor(retryAfterSeconds = 5) {
    // LDAP: unavailable (52), "the server (or a part thereof) is not available" (RFC 4511 A.2), on
    // which a phone with a second directory server configured tries that one.
    super(503, 'storage_unavailable', 'The server cannot reach its storage right now; nothing was changed. Try again later.', [], LdapCode.unavailable, retryAfterSeconds);
  }
}

/**
 * Something failed that is neither one of our errors nor a known failure of the storage or the
 * HTTP parsers: a defect of ours. Nothing about it reaches the client.
 */
export class InternalError extends AppError {
  constructor() {
    super(500, 'internal_error', 'Internal server error', [], LdapCode.operationsError);
  }
}

/** Too much of one kind of heavy work (exports) is already waiting: refused, worth retrying soon. */
export class ServerBusyError extends AppError {
  constructor(why: string, retryAfterSeconds = 10) {
    super(503, 'busy', `The server is busy (${why}); try again in ${retryAfterSeconds} s.`, [], LdapCode.busy, retryAfterSeconds);
  }
}

/**
 * A failure of the storage layer (SQLite result codes as better-sqlite3 reports them, or the
 * operating system's disk errors) as one of our errors, or null for anything else. Any front end
 * can use this to answer "disk full" clearly instead of a generic internal error.
 */
export function storageFailure(err: unknown): AppError | null {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || code === PG_DISK_FULL) return new StorageFullError();
  if (/^SQLITE_(IOERR|BUSY|LOCKED|READONLY|CANTOPEN|PROTOCOL)/.test(code) || code === 'EROFS' || code === 'EIO'
    || PG_UNREACHABLE.test(code) || NET_UNREACHABLE.has(code) || PG_POOL_LOST.test((err as Error)?.message ?? '')) {
    return new StorageUnavailableError();
  }
  return null;
}

// PostgreSQL lost while running (issue 19: writes answer 503 with Retry-After, the instance
// recovers without a restart). SQLSTATE class 08 = connection exception; 57P01-57P03 = the server
// is shutting down, crashed or still starting; 53300 = too many connections; 53100 = disk full
// (PostgreSQL manual, Appendix A "PostgreSQL Error Codes").
const PG_DISK_FULL = '53100';
const PG_UNREACHABLE = /^(08\d{3}|08P01|57P0[123]|53300)$/;
const NET_UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
// node-postgres reports these without a code: a pool that could not connect in time, and a
// connection the server closed under a query (pg-pool and pg's client.js messages).
const PG_POOL_LOST = /^(timeout exceeded when trying to connect|Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error)/;

/**
 * A WebDAV/CardDAV precondition or postcondition the request broke (RFC 4918 16), named in Clark
 * notation, e.g. "{DAV:}valid-sync-token"; the CardDAV front end renders it as a DAV:error body.
 */
export class DavConditionError extends AppError {
  constructor(status: number, readonly condition: string, message: string) {
    super(status, 'dav_condition', message, [], LdapCode.unwillingToPerform);
  }
}
