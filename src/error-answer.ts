// The one error model: whatever a request's handling threw becomes one ErrorAnswer here, so the
// admin API (JSON), CardDAV (DAV:error XML or text) and LDAP (a result code) answer the same
// failure with the same status, code, message and Retry-After. Each front end only renders it:
// api/error-handler.ts, carddav/carddav-router.ts, ldap/ldap-server.ts.
import { AppError, InternalError, storageFailure, type ErrorDetail } from './errors.ts';

export interface ErrorAnswer {
  status: number;
  code: string;
  /** Cut to MAX_MESSAGE characters: messages name the problem, the clipping is a net for one that forgets. */
  message: string;
  details: readonly ErrorDetail[];
  /** Headers every protocol sends with it (Retry-After); protocol-specific ones (WWW-Authenticate, Allow) are the renderer's. */
  headers: Record<string, string>;
  ldapCode: number;
  /** The error behind the answer, for renderers that need more (a DAV condition's name). */
  error: AppError;
  /** A defect of ours, not a refusal or a known failure: log it with its stack. */
  internal: boolean;
}

export interface AnswerOptions {
  /** The body limit the front end's body parser applies, named in its 413. */
  bodyLimitBytes?: number;
}

export const MAX_MESSAGE = 500;

export function errorAnswer(err: unknown, opts: AnswerOptions = {}): ErrorAnswer {
  const error = toAppError(err, opts);
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  return {
    status: error.status, code: error.code, message: clip(error.message, MAX_MESSAGE), details: error.details,
    headers, ldapCode: error.ldapCode, error, internal: error instanceof InternalError,
  };
}

/**
 * Anything thrown as one of our errors: ours as they are, storage failures (a full disk: 507; the
 * database away: 503 with Retry-After), the HTTP body parsers' and multer's errors by their type,
 * and everything else as an InternalError that shows nothing of what broke.
 */
export function toAppError(err: unknown, opts: AnswerOptions = {}): AppError {
  if (err instanceof AppError) return err;
  const stored = storageFailure(err);
  if (stored) return stored;
  const e = err as { type?: string; status?: number; message?: string; code?: string; expose?: boolean };
  if (e?.type === 'entity.too.large' || e?.code === 'LIMIT_FILE_SIZE') {
    const limit = opts.bodyLimitBytes === undefined ? 'too large' : `larger than ${opts.bodyLimitBytes} bytes`;
    return new AppError(413, 'payload_too_large', `The request body is ${limit}`);
  }
  if (e?.type === 'entity.parse.failed') return new AppError(400, 'invalid_json', `The request body is not valid JSON: ${clip(String(e.message), 200)}`);
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new AppError(415, 'unsupported_media_type', clip(e.message ?? 'Unsupported encoding', 200));
  if (err instanceof URIError) return new AppError(400, 'bad_request', 'The request contains malformed percent-encoding (%XX)');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    // http-errors mark messages safe to show with `expose`; others may carry internals.
    return new AppError(e.status, 'bad_request', e.expose && e.message ? clip(e.message, 200) : 'Bad request');
  }
  return new InternalError();
}

export const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}…` : s);
