// WebDAV XML in and out. Request bodies: xml-reader.ts (one linear pass, DOCTYPE refused, limits
// below checked while reading), namespace prefixes resolved into {ns, name} elements, so
// `<d:prop>`, `<prop xmlns="DAV:">` and `<A:prop xmlns:A="DAV:">` read the same. Responses:
// xmlbuilder2 only.
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { ValidationError } from '../errors.ts';
import { readXml, type XmlElement, type XmlLimits } from './xml-reader.ts';

export type { XmlElement, XmlLimits } from './xml-reader.ts';

export const NS = {
  dav: 'DAV:',
  card: 'urn:ietf:params:xml:ns:carddav',
  cs: 'http://calendarserver.org/ns/',
} as const;

/** What one request body may hold. Apps send a few dozen elements, put at most three attributes
 *  on one (text-match) and declare two or three prefixes on the root; the largest bodies are
 *  multigets of a whole book (vdirsyncer), hence elements follow carddav.maxMultigetHrefs. Each
 *  limit also bounds the reader's work on a hostile body of 4 MB: attributes are its dearest part
 *  (about 1 µs each), so 8 per element. Past a limit: 413 with a DAV:error naming it. */
export const REQUEST_LIMITS: Omit<XmlLimits, 'maxElements'> = {
  maxDepth: 32,
  maxAttributes: 8,
  maxDeclarations: 64,
  maxNameChars: 256,
  maxValueChars: 8192,
};
/** Elements a body may hold beyond the hrefs of the largest multiget allowed. */
export const ELEMENTS_BEYOND_HREFS = 1000;
/** Properties one <prop> may name: apps ask for up to about 40 (macOS on the principal). */
export const MAX_PROPERTIES = 100;

/** Parses a request body; null when the body is empty (which WebDAV allows for PROPFIND). */
export function parseXml(body: string, limits: XmlLimits): XmlElement | null {
  if (body.trim() === '') return null;
  const root = readXml(body, limits);
  if (!root) throw new ValidationError('The XML body has no root element');
  return root;
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

/**
 * A DAV:error body naming the condition a request broke (RFC 4918 16), with the URL of the
 * resource it concerns when the condition carries one (CARDDAV:no-uid-conflict: the card that
 * has the UID).
 */
export function davErrorBody(condition: string, message: string, href?: string): string {
  const { doc, root } = davDocument('error');
  const el = ele(root, condition);
  if (href !== undefined) el.ele(NS.dav, 'd:href').txt(href);
  root.ele(NS.dav, 'd:responsedescription').txt(message);
  return doc.end();
}
