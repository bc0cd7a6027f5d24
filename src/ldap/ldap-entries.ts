// How a contact looks as an LDAP entry (inetOrgPerson, plus the Active Directory number
// attributes phones set up for AD ask for), and attribute selection for a search.
import type { Account } from '../domain/account-schemas.ts';
import type { Contact } from '../domain/contact-schemas.ts';
import { displayName } from '../domain/display-name.ts';
import { dialableNumber } from '../domain/phone-number.ts';

export type Attributes = Record<string, string[]>;

export const OBJECT_CLASSES = ['top', 'person', 'organizationalPerson', 'inetOrgPerson'];

export function userAttributes(c: Contact, account: Account): Attributes {
  const cn = displayName(c, account.settings.nameFormat);
  // Phones dial the attribute as it stands (issue #9): E.164, or national digits where the
  // account's PBX wants them; never the brackets and spaces a person typed.
  const form = account.settings.dialNumberForm === 'national' ? 'national' : 'e164';
  const numbers = (kinds: string[]) => c.numbers.filter((n) => kinds.includes(n.kind)).map((n) => dialableNumber(n, form, account.region));
  const attrs: Attributes = {
    objectClass: OBJECT_CLASSES,
    uid: [c.id],
    cn: [cn],
    sn: [c.lastName || c.firstName || c.company], // the sort name: what sn filters and sorting use
    displayName: [cn],
  };
  const put = (name: string, values: string[]) => {
    const v = values.filter((x) => x !== '');
    if (v.length > 0) attrs[name] = v;
  };
  put('givenName', [c.firstName]);
  put('o', [c.company]);
  put('title', [c.title]);
  const office = numbers(['work', 'extension']);
  put('telephoneNumber', office);
  put('mobile', numbers(['mobile']));
  put('homePhone', numbers(['home']));
  put('facsimileTelephoneNumber', numbers(['fax']));
  // AD: ipPhone is the internal extension; telephoneNumber is the main number and otherTelephone
  // every other voice number, so a phone listing both shows each number once.
  put('ipPhone', numbers(['extension']));
  put('otherTelephone', [...office.slice(1), ...numbers(['mobile', 'home'])]);
  put('mail', [c.email]);
  put('ou', c.groups);
  return attrs;
}

export function operationalAttributes(c: Contact, dn: string): Attributes {
  return {
    entryDN: [dn],
    entryUUID: [c.id],
    createTimestamp: [generalizedTime(c.createdAt)],
    modifyTimestamp: [generalizedTime(c.updatedAt)],
    structuralObjectClass: ['inetOrgPerson'],
  };
}

function generalizedTime(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+/, '').replace('T', '');
}

/**
 * Picks the requested attributes (RFC 4511 4.5.1.8): none listed or "*" = all user attributes,
 * "+" = operational ones, "1.1" = none. Names compare case-insensitively.
 */
export function selectAttributes(requested: string[], user: Attributes, operational: () => Attributes): Attributes {
  const wanted = requested.map((a) => a.toLowerCase());
  const all = wanted.length === 0 || wanted.includes('*');
  const ops = wanted.includes('+');
  const out: Attributes = {};
  for (const [name, values] of Object.entries(user)) {
    if (all || wanted.includes(name.toLowerCase())) out[name] = values;
  }
  const opAttrs = operational();
  for (const [name, values] of Object.entries(opAttrs)) {
    if (ops || wanted.includes(name.toLowerCase())) out[name] = values;
  }
  return out;
}
