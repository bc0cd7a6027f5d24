// A multistatus is built and serialised in parts (so a 10,000-card answer never holds the event
// loop), and the parts must join into exactly the document one piece would have made.
import { describe, expect, it } from 'vitest';
import { davDocument, NS, parseXml, REQUEST_LIMITS } from '../../src/carddav/dav-xml.ts';
import { Multistatus, RESPONSES_PER_PART, type DavResource } from '../../src/carddav/multistatus.ts';

const resource = (i: number): DavResource => ({
  href: `/carddav/acme/ann/shared/${i}.vcf`,
  props: new Map([
    ['{DAV:}getetag', (el) => void el.txt(`"${i}-x"`)],
    ['{urn:ietf:params:xml:ns:carddav}address-data', (el) => void el.txt(`BEGIN:VCARD\r\nFN:Ann & <${i}>\r\nEND:VCARD\r\n`)],
  ]),
  allprop: ['{DAV:}getetag'],
});

/** The same answer made the way it was before parts: one document. */
function inOnePiece(n: number, token: string): string {
  const { doc, root } = davDocument('multistatus');
  for (let i = 0; i < n; i++) {
    const resp = root.ele(NS.dav, 'd:response');
    resp.ele(NS.dav, 'd:href').txt(`/carddav/acme/ann/shared/${i}.vcf`);
    if (i % 7 === 3) {
      resp.ele(NS.dav, 'd:status').txt('HTTP/1.1 404 Not Found');
      continue;
    }
    const ps = resp.ele(NS.dav, 'd:propstat');
    const prop = ps.ele(NS.dav, 'd:prop');
    prop.ele(NS.dav, 'd:getetag').txt(`"${i}-x"`);
    prop.ele(NS.card, 'card:address-data').txt(`BEGIN:VCARD\r\nFN:Ann & <${i}>\r\nEND:VCARD\r\n`);
    ps.ele(NS.dav, 'd:status').txt('HTTP/1.1 200 OK');
  }
  root.ele(NS.dav, 'd:sync-token').txt(token);
  return doc.end();
}

describe('Multistatus in parts', () => {
  for (const n of [0, 1, RESPONSES_PER_PART, RESPONSES_PER_PART + 1, 3 * RESPONSES_PER_PART + 17]) {
    it(`joins ${n} responses into the one-piece document, byte for byte`, () => {
      const out = new Multistatus();
      for (let i = 0; i < n; i++) {
        if (i % 7 === 3) out.status(`/carddav/acme/ann/shared/${i}.vcf`, 'HTTP/1.1 404 Not Found');
        else out.resource(resource(i), { names: ['{DAV:}getetag', '{urn:ietf:params:xml:ns:carddav}address-data'] });
      }
      out.syncToken('http://dialbook.org/ns/sync/abc/1');
      const xml = out.end();
      expect(xml).toBe(inOnePiece(n, 'http://dialbook.org/ns/sync/abc/1'));
      const root = parseXml(xml, { ...REQUEST_LIMITS, maxElements: 100_000 });
      expect(root!.children.filter((c) => c.name === 'response')).toHaveLength(n);
    });
  }
});
