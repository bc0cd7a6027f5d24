// A DAV:multistatus answer (RFC 4918 13): per resource, the properties found (200) and those asked
// for but missing (404), in one propstat each. Resources describe their properties as writers,
// called only for the properties a client asked for (a card body is rendered only on demand).
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { clark, davDocument, ele, NS } from './dav-xml.ts';

/** Writes a property's value into its (already created) element. */
export type PropWriter = (el: XMLBuilder) => void;

export interface DavResource {
  href: string;
  props: Map<string, PropWriter>;
  /** allprop returns these (RFC 4918: not the expensive or computed-on-demand ones). */
  allprop: string[];
}

/** What a PROPFIND or REPORT asked for: named properties, all, or the names only. */
export type PropRequest = { names: string[] } | { all: true } | { propnames: true };

/** Whether a request asks for card bodies (address-data, or a length only a body gives). */
export function wantsBody(want: PropRequest): boolean {
  return 'names' in want && want.names.some((n) => n === clark(NS.card, 'address-data') || n === clark(NS.dav, 'getcontentlength'));
}

/** Responses per part: a part is serialised in one piece (a few ms at 100 cards with vCards). */
export const RESPONSES_PER_PART = 100;

/**
 * Built a part at a time: each part is a document of its own with the same root and namespace
 * declarations, serialised when full, and the answer is the root's start tag, every part's inside
 * and the end tag, the same bytes as one document. One document of 10,000 cards held the event
 * loop for its whole build and serialisation (seconds), and every phone waited.
 */
export class Multistatus {
  private doc!: XMLBuilder;
  private root!: XMLBuilder;
  private inPart = 0;
  private readonly parts: string[] = [];
  private startTag = '';
  private endTag = '';

  constructor() {
    this.newPart();
  }


  resource(r: DavResource, want: PropRequest): void {
    const resp = this.next();
    resp.ele(NS.dav, 'd:href').txt(r.href);
    const found: string[] = [];
    const missing: string[] = [];
    if ('names' in want) for (const n of want.names) (r.props.has(n) ? found : missing).push(n);
    else found.push(...('all' in want ? r.allprop : r.props.keys()));
    if (found.length > 0 || missing.length === 0) {
      const ps = resp.ele(NS.dav, 'd:propstat');
      const prop = ps.ele(NS.dav, 'd:prop');
      for (const n of found) {
        const el = ele(prop, n);
        if (!('propnames' in want)) r.props.get(n)!(el);
      }
      ps.ele(NS.dav, 'd:status').txt('HTTP/1.1 200 OK');
    }
    if (missing.length > 0) {
      const ps = resp.ele(NS.dav, 'd:propstat');
      const prop = ps.ele(NS.dav, 'd:prop');
      for (const n of missing) ele(prop, n);
      ps.ele(NS.dav, 'd:status').txt('HTTP/1.1 404 Not Found');
    }
    this.flushIfFull();
  }

  /** A response with a status and no properties (a multiget href that does not exist, a sync deletion). */
  status(href: string, status: string): void {
    const resp = this.next();
    resp.ele(NS.dav, 'd:href').txt(href);
    resp.ele(NS.dav, 'd:status').txt(status);
    this.flushIfFull();
  }

  syncToken(token: string): void {
    this.root.ele(NS.dav, 'd:sync-token').txt(token);
    this.inPart++;
  }

  end(): string {
    this.flush();
    if (this.parts.length === 0) return this.doc.end(); // nothing in it: the empty root as it is
    return this.startTag + this.parts.join('') + this.endTag;
  }

  private next(): XMLBuilder {
    this.inPart++;
    return this.root.ele(NS.dav, 'd:response');
  }

  private flushIfFull(): void {
    if (this.inPart >= RESPONSES_PER_PART) this.flush();
  }

  private flush(): void {
    if (this.inPart === 0) return;
    const xml = this.doc.end();
    // "<?xml ...?><d:multistatus xmlns...>" + inside + "</d:multistatus>"
    const open = xml.indexOf('>', xml.indexOf('<d:multistatus')) + 1;
    const close = xml.lastIndexOf('</');
    if (!this.startTag) {
      this.startTag = xml.slice(0, open);
      this.endTag = xml.slice(close);
    }
    this.parts.push(xml.slice(open, close));
    this.newPart();
  }

  private newPart(): void {
    const { doc, root } = davDocument('multistatus');
    this.doc = doc;
    this.root = root;
    this.inPart = 0;
  }
}

/** A turn of the event loop for everyone else (phones' LDAP searches, other requests). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Time a long answer may hold the event loop before it gives others a turn. */
const SLICE_MS = 8;

/**
 * For a loop that builds a long answer: `await slice()` after each item gives the event loop a
 * turn once SLICE_MS have passed since the last one (a turn per item would cost more than the
 * items; a turn per fixed count holds the loop longer on a slower machine or a costlier item).
 */
export function slicer(): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < SLICE_MS) return undefined;
    return nextTurn().then(() => { since = performance.now(); });
  };
}
