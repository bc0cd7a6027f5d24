// How contacts look in API responses, and the shared helpers for ETag / If-Match and "q".
import type { Request, Response } from 'express';
import type { Contact } from '../domain/contact-schemas.ts';
import type { Criterion } from '../store/store.ts';
import { PreconditionFailedError, ValidationError } from '../errors.ts';

export function contactView(c: Contact) {
  return {
    id: c.id, source: c.source,
    firstName: c.firstName, lastName: c.lastName, company: c.company, title: c.title,
    workNumber: c.workNumber, mobileNumber: c.mobileNumber, homeNumber: c.homeNumber, faxNumber: c.faxNumber,
    email: c.email, groups: c.groups,
    numbers: c.numbers.map((n) => ({ kind: n.kind, number: n.raw, e164: n.e164 })),
    revision: c.revision, createdAt: c.createdAt, createdBy: c.createdBy, updatedAt: c.updatedAt, updatedBy: c.updatedBy,
  };
}

export const etagOf = (c: Contact): string => `"r${c.revision}"`;

/** The revision an If-Match header demands, or undefined when there is none (or "*"). */
export function ifMatchRevision(req: Request, current: Contact): number | undefined {
  const header = req.headers['if-match'];
  if (!header || header.trim() === '*') return undefined;
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes(etagOf(current))) return current.revision;
  if (tags.every((t) => /^"r\d+"$/.test(t))) throw new PreconditionFailedError();
  throw new ValidationError('If-Match must be an ETag this API returned, like "r3"', [{ field: 'If-Match', value: header, reason: 'is not one of our ETags' }]);
}

export function sendContact(res: Response, c: Contact, status = 200) {
  res.status(status).setHeader('ETag', etagOf(c));
  res.json(contactView(c));
}

/** The admin "q": word prefixes over names and company, or digits anywhere in a number. */
export function searchCriterion(q: string | undefined): Criterion {
  const text = (q ?? '').trim();
  if (text === '') return { all: true };
  const digits = text.replace(/\D/g, '');
  const hasLetters = /\p{L}/u.test(text);
  const byName: Criterion = { words: text };
  if (hasLetters || digits.length < 3) return byName;
  return { or: [byName, { number: 'any', op: 'contains', value: digits }] };
}
