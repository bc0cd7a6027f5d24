// How a contact's name is shown on phones: the account's name format, and the company for
// company-only contacts. One definition for the LDAP entries and the XML phonebooks.
import type { AccountSettings } from './account-schemas.ts';

export function displayName(c: { firstName: string; lastName: string; company: string }, format: AccountSettings['nameFormat']): string {
  const person = format === 'last_first'
    ? [c.lastName, c.firstName].filter(Boolean).join(', ')
    : [c.firstName, c.lastName].filter(Boolean).join(' ');
  return person || c.company;
}
