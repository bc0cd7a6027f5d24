// The directory entry each user of an account is mirrored as (a contact with source 'user', so
// phones find colleagues with the same searches as shared contacts). Its text and numbers go
// through the same rules as a contact's (prepare-contact.ts): text cleaned, the extension and the
// direct number normalised in the account's region, so caller ID finds a colleague by their
// number however it was typed, and both engines store the same entry.
import type { ContactFields, PhoneNumber } from './contact-schemas.ts';
import { cleanField, prepareNumber, type ContactWarning, type PreparedContact } from './prepare-contact.ts';
import { searchForms } from './search-forms.ts';
import type { User } from './user-schemas.ts';
import { invalidInput, type ErrorDetail } from '../errors.ts';

/** Name split into first/last (the last word is the last name), extension and direct number. */
export function prepareUserEntry(u: Pick<User, 'name' | 'extension' | 'directNumber' | 'email'>, region: string): PreparedContact {
  // A user has no warnings channel: what was cleaned or is doubtful is not reported, only applied.
  const warnings: ContactWarning[] = [];
  const errors: ErrorDetail[] = [];
  const parts = cleanField('name', u.name, warnings).trim().split(/\s+/);
  const lastName = parts.length > 1 ? parts.pop()! : parts[0];
  const firstName = parts.length > 0 && parts[0] !== lastName ? parts.join(' ') : '';
  const numbers: PhoneNumber[] = [];
  const extension = u.extension ? prepareNumber('extension', u.extension, 'extension', region, errors, warnings) : null;
  if (extension) numbers.push(extension);
  const direct = u.directNumber ? prepareNumber('directNumber', u.directNumber, 'work', region, errors, warnings) : null;
  if (direct) numbers.push(direct);
  if (errors.length > 0) throw invalidInput('user', errors);
  const fields: ContactFields = {
    firstName, lastName, company: '', title: '', workNumber: extension?.raw ?? '', mobileNumber: '', homeNumber: '',
    faxNumber: '', email: cleanField('email', u.email, warnings), groups: [],
  };
  return { fields, numbers, search: searchForms(fields) };
}
