// A DAV:multistatus answer (RFC 4918 13): per resource, the properties found (200) and those asked
// for but missing (404), in one propstat each. Resources describe their properties as writers,
// called only for the properties a client asked for (a card body is rendered only on demand).
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { davDocument, ele, NS } from './dav-xml.ts';

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

export class Multistatus {
  private readonly doc;
  private readonly root: XMLBuilder;

  constructor() {
    const { doc, root } = davDocument('multistatus');
    this.doc = doc;
    this.root = root;
  }

  resource(r: DavResource, want: PropRequest): void {
    const resp = this.root.ele(NS.dav, 'd:response');
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
  }

  /** A response with a status and no properties (a multiget href that does not exist, a sync deletion). */
  status(href: string, status: string): void {
    const resp = this.root.ele(NS.dav, 'd:response');
    resp.ele(NS.dav, 'd:href').txt(href);
    resp.ele(NS.dav, 'd:status').txt(status);
  }

  syncToken(token: string): void {
    this.root.ele(NS.dav, 'd:sync-token').txt(token);
  }

  end(): string {
    return this.doc.end();
  }
}
