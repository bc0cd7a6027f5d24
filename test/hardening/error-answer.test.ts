// The one error model (src/error-answer.ts): whatever was thrown, every front end gets the same
// status, code, message, Retry-After and LDAP result code for it, and renders only that.
import { describe, expect, it } from 'vitest';
import { errorAnswer } from '../../src/error-answer.ts';
import { invalidInput, LdapCode, NotFoundError, TooManyAttemptsError } from '../../src/errors.ts';

describe('errorAnswer', () => {
  it('answers storage failures as the admin API always did: 507 for a full disk, 503 with Retry-After when the database is away', () => {
    expect(errorAnswer(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toMatchObject({
      status: 507, code: 'storage_full', headers: {}, ldapCode: LdapCode.unwillingToPerform, internal: false,
    });
    expect(errorAnswer(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({
      status: 503, code: 'storage_unavailable', headers: { 'Retry-After': '5' }, ldapCode: LdapCode.unavailable,
    });
  });

  it('keeps our errors as they are, with their LDAP code and Retry-After', () => {
    expect(errorAnswer(new NotFoundError('Contact'))).toMatchObject({ status: 404, message: 'Contact not found', ldapCode: LdapCode.noSuchObject });
    expect(errorAnswer(new TooManyAttemptsError(7)).headers).toEqual({ 'Retry-After': '7' });
  });

  it('shows nothing of a defect: 500, operationsError, a fixed message', () => {
    const a = errorAnswer(new TypeError("Cannot read properties of undefined (reading 'x') at /work/src/secret.ts"));
    expect(a).toMatchObject({ status: 500, code: 'internal_error', message: 'Internal server error', ldapCode: LdapCode.operationsError, internal: true });
  });

  it("maps the body parsers' errors, naming the front end's limit when it has one", () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, expose: true });
    expect(errorAnswer(tooLarge).message).toBe('The request body is too large');
    expect(errorAnswer(tooLarge, { bodyLimitBytes: 1024 }).message).toBe('The request body is larger than 1024 bytes');
    expect(errorAnswer(Object.assign(new Error('secret internals'), { status: 400, expose: false }))).toMatchObject({ status: 400, message: 'Bad request' });
    expect(errorAnswer(new URIError('URI malformed'))).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('clips a long message and summarises details in one way', () => {
    expect(errorAnswer(new NotFoundError('x'.repeat(2000))).message).toHaveLength(501);
    const e = invalidInput('body', [{ field: 'name', reason: 'must not be empty' }, { reason: 'unknown key' }]);
    expect(e).toMatchObject({ status: 400, message: 'Invalid body: name: must not be empty; body: unknown key' });
  });
});
