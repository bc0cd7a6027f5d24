// Error classes shared by every front end. Each carries an HTTP status, an LDAP result code
// and a stable `code` string; each front end renders them in exactly one place.

export interface ErrorDetail {
  /** Row number in an import file (1-based, header is row 1), when the error comes from a file. */
  row?: number;
  /** Field or column name. */
  field?: string;
  /** The offending value, as received. */
  value?: unknown;
  reason: string;
}

// LDAP result codes we use (RFC 4511).
export const LdapCode = {
  operationsError: 1,
  protocolError: 2,
  noSuchObject: 32,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  unwillingToPerform: 53,
  constraintViolation: 19,
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

/** A sign-in refused by the limiter before the credential was checked. */
export class TooManyAttemptsError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'too_many_attempts', `Too many wrong passwords: try again in ${retryAfterSeconds} s`);
  }
}

/**
 * A WebDAV/CardDAV precondition or postcondition the request broke (RFC 4918 16), named in Clark
 * notation, e.g. "{DAV:}valid-sync-token"; the CardDAV front end renders it as a DAV:error body.
 */
export class DavConditionError extends AppError {
  constructor(status: number, readonly condition: string, message: string) {
    super(status, 'dav_condition', message, [], LdapCode.unwillingToPerform);
  }
}
