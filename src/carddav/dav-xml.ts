// WebDAV XML in and out. Request bodies: fast-xml-parser (validated first, no DOCTYPE, bounded
// nesting), then namespace prefixes resolved into {ns, name} elements, so `<d:prop>`, `<prop
// xmlns="DAV:">` and `<A:prop xmlns:A="DAV:">` read the same. Responses: xmlbuilder2 only.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { ValidationError } from '../errors.ts';

export const NS = {
  dav: 'DAV:',
  card: 'urn:ietf:params:xml:ns:carddav',
  cs: 'http://calendarserver.org/ns/',
} as const;

/** A namespace-resolved element of a request body. */
export interface XmlElement {
  ns: string;
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text content (not of children). */
  text: string;
}

const MAX_DEPTH = 32;
const parser = new XMLParser({
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', processEntities: true, htmlEntities: false,
  trimValues: false, parseTagValue: false, parseAttributeValue: false, removeNSPrefix: false, maxNestedTags: MAX_DEPTH,
});

type Raw = Record<string, unknown>;

/** Parses a request body; null when the body is empty (which WebDAV allows for PROPFIND). */
export function parseXml(body: string): XmlElement | null {
  if (body.trim() === '') return null;
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new ValidationError('The XML body must not contain a DOCTYPE or entity declarations');
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new ValidationError(`The XML body is not well-formed: ${valid.err.msg} (line ${valid.err.line})`, [{ field: 'body', reason: valid.err.msg }]);
  }
  let raw: Raw[];
  try {
    raw = parser.parse(body) as Raw[];
  } catch (err) {
    throw new ValidationError(`The XML body could not be read: ${(err as Error).message}`);
  }
  const root = raw.find((n) => Object.keys(n).some((k) => k !== ':@' && !k.startsWith('?') && k !== '#text' && k !== '#comment'));
  if (!root) throw new ValidationError('The XML body has no root element');
  return resolve(root, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]), 0);
}

function resolve(node: Raw, scope: Map<string, string>, depth: number): XmlElement {
  if (depth > MAX_DEPTH) throw new ValidationError(`The XML body nests deeper than ${MAX_DEPTH} elements`);
  const tag = Object.keys(node).find((k) => k !== ':@')!;
  const attrs = (node[':@'] ?? {}) as Record<string, string>;
  let local = scope;
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      if (local === scope) local = new Map(scope);
      local.set(k === 'xmlns' ? '' : k.slice(6), v);
    }
  }
  const colon = tag.indexOf(':');
  const prefix = colon >= 0 ? tag.slice(0, colon) : '';
  const name = colon >= 0 ? tag.slice(colon + 1) : tag;
  const ns = local.get(prefix);
  if (ns === undefined && prefix !== '') throw new ValidationError(`The XML body uses the undeclared namespace prefix "${prefix}"`);
  const children: XmlElement[] = [];
  let text = '';
  for (const child of (node[tag] ?? []) as Raw[]) {
    if ('#text' in child) text += String(child['#text']);
    else if (!('#comment' in child)) children.push(resolve(child, local, depth + 1));
  }
  const plainAttrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (k !== 'xmlns' && !k.startsWith('xmlns:')) plainAttrs[k.includes(':') ? k.slice(k.indexOf(':') + 1) : k] = v;
  return { ns: ns ?? '', name, attrs: plainAttrs, children, text: decodeCharRefs(text) };
}

/** The parser decodes the five predefined entities; numeric references are decoded here. */
function decodeCharRefs(s: string): string {
  if (!s.includes('&#')) return s;
  return s.replace(/&#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}));/g, (m, hex: string | undefined, dec: string | undefined) => {
    const cp = hex ? parseInt(hex, 16) : Number(dec);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

export function is(e: XmlElement | null | undefined, ns: string, name: string): boolean {
  return !!e && e.ns === ns && e.name === name;
}
export function child(e: XmlElement, ns: string, name: string): XmlElement | undefined {
  return e.children.find((c) => c.ns === ns && c.name === name);
}
export function childrenOf(e: XmlElement, ns: string, name: string): XmlElement[] {
  return e.children.filter((c) => c.ns === ns && c.name === name);
}

/** A property name as Clark notation: "{DAV:}getetag". */
export const clark = (ns: string, name: string) => `{${ns}}${name}`;
export const propKey = (e: XmlElement) => clark(e.ns, e.name);

const PREFIXES: Record<string, string> = { [NS.dav]: 'd', [NS.card]: 'card', [NS.cs]: 'cs' };

/** Starts a response document whose root declares our three namespaces. */
export function davDocument(rootName: string): { doc: XMLBuilder; root: XMLBuilder } {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const root = doc.ele(NS.dav, `d:${rootName}`)
    .att('http://www.w3.org/2000/xmlns/', 'xmlns:card', NS.card)
    .att('http://www.w3.org/2000/xmlns/', 'xmlns:cs', NS.cs);
  return { doc, root };
}

/** Adds an element named in Clark notation, with our prefix for known namespaces. */
export function ele(parent: XMLBuilder, key: string): XMLBuilder {
  const m = /^\{([^}]*)\}(.+)$/.exec(key);
  if (!m) return parent.ele(key);
  const [, ns, name] = m;
  const prefix = PREFIXES[ns];
  if (prefix) return parent.ele(ns, `${prefix}:${name}`);
  // Unknown namespaces (a 404 propstat for a property we do not have) get a local declaration.
  return ns === '' ? parent.ele(name) : parent.ele(ns, `x:${name}`).att('http://www.w3.org/2000/xmlns/', 'xmlns:x', ns);
}

/** A DAV:error body naming the condition a request broke (RFC 4918 16). */
export function davErrorBody(condition: string, message: string): string {
  const { doc, root } = davDocument('error');
  ele(root, condition);
  root.ele(NS.dav, 'd:responsedescription').txt(message);
  return doc.end();
}
