// The CardDAV request-body reader on its own: namespace scope, text and references, the
// well-formedness errors, and each limit refused at the element that passes it.
import { describe, expect, it } from 'vitest';
import { DavConditionError, ValidationError } from '../../src/errors.ts';
import { readXml, type XmlElement, type XmlLimits } from '../../src/carddav/xml-reader.ts';

const LIMITS: XmlLimits = { maxElements: 100, maxDepth: 8, maxAttributes: 4, maxDeclarations: 6, maxNameChars: 20, maxValueChars: 50 };
const read = (xml: string, limits: Partial<XmlLimits> = {}) => readXml(xml, { ...LIMITS, ...limits })!;
/** Each element as "{ns}name", depth first. */
const names = (e: XmlElement): string[] => [`{${e.ns}}${e.name}`, ...e.children.flatMap(names)];

function refusal(xml: string, limits: Partial<XmlLimits> = {}): Error {
  try {
    read(xml, limits);
  } catch (err) {
    return err as Error;
  }
  throw new Error('read without error');
}

describe('namespaces', () => {
  it('resolves prefixes and the default namespace, innermost declaration first, and pops them at the end tag', () => {
    const root = read('<a xmlns="u1" xmlns:p="u2"><p:b xmlns:p="u3"><p:c/><d xmlns=""/></p:b><p:e/><f/></a>');
    expect(names(root)).toEqual(['{u1}a', '{u3}b', '{u3}c', '{}d', '{u2}e', '{u1}f']);
  });

  it('pops the declarations of a self-closing element at once', () => {
    expect(names(read('<p:a xmlns:p="u1"><p:b xmlns:p="u2"/><p:c/></p:a>'))).toEqual(['{u1}a', '{u2}b', '{u1}c']);
  });

  it('knows the xml prefix, and leaves declarations out of attrs', () => {
    const root = read('<a xmlns="u" xml:lang="en" b="1" x:c="2" xmlns:x="v"/>');
    expect(root.attrs).toEqual({ lang: 'en', b: '1', c: '2' });
  });

  it('counts declarations while in scope, not in total', () => {
    const many = '<b xmlns:q="y" xmlns:r="z"/>'.repeat(50);
    expect(read(`<a xmlns:p="u">${many}</a>`).children).toHaveLength(50);
  });

  it('refuses an undeclared prefix, a prefix bound to "", and a prefix declared twice on one element', () => {
    expect(refusal('<p:a/>').message).toContain('undeclared namespace prefix "p"');
    expect(refusal('<a xmlns:p=""/>').message).toContain('declared with an empty namespace');
    expect(refusal('<a xmlns:p="u" xmlns:p="v"/>').message).toContain('declared twice');
  });
});

describe('text', () => {
  it('decodes the predefined entities and character references, keeps CDATA as is, skips comments and PIs', () => {
    const root = read('\uFEFF<?xml version="1.0"?><!-- c --><a>x &lt;&amp;&gt;&quot;&apos; &#233;&#x1F600;<![CDATA[<&amp;>]]><!-- c --><?pi x?>y</a>\n');
    expect(root.text).toBe('x <&>"\' é😀<&amp;>y');
  });

  it('reads white space in attribute values as spaces, and decodes them', () => {
    expect(read('<a b="1\t2\n3 &amp;&#10;"/>').attrs.b).toBe('1 2 3 &\n');
  });

  it('refuses references that are not predefined, a bare &, and characters that do not exist', () => {
    expect(refusal('<a>&lol;</a>').message).toContain('&lol; is not defined');
    expect(refusal('<a>a & b</a>').message).toContain('starts no reference');
    expect(refusal('<a>&#0;</a>').message).toContain('names no character');
    expect(refusal('<a>&#xD800;</a>').message).toContain('names no character');
  });
});

describe('well-formedness', () => {
  const cases: [string, string][] = [
    ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'must not contain a DOCTYPE'],
    ['<a>', 'the element <a> is not closed'],
    ['<a></b>', 'the end tag </b> does not close <a>'],
    ['</a>', 'closes nothing'],
    ['<a/><b/>', 'a second root element'],
    ['x<a/>', 'text before the root element'],
    ['<a/>x', 'text after the root element'],
    ['<a b="1" b="2"/>', 'appears twice'],
    ['<a b=1/>', 'is not quoted'],
    ['<a b="<"/>', '"<" in the value'],
    ['<a b="1"c="2"/>', 'expected white space'],
    ['<a><!-- x', 'a comment is not closed'],
    ['<a><![CDATA[x', 'a CDATA section is not closed'],
    ['<a>]]></a>', '"]]>" in text'],
    ['<1a/>', 'expected an element name'],
    ['<a', 'is not closed'],
  ];
  for (const [xml, reason] of cases) {
    it(`refuses ${JSON.stringify(xml)} with 400: ${reason}`, () => {
      const err = refusal(xml);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toContain(reason);
    });
  }

  it('names the line and column', () => {
    expect(refusal('<a>\n  <b>\n  </c>\n</a>').message).toMatch(/\(line 3, column 7\)$/);
  });

  it('reads nothing from white space and comments alone', () => {
    expect(readXml(' <!-- x --> ', LIMITS)).toBeNull();
  });
});

describe('limits', () => {
  const cases: [string, string, Partial<XmlLimits>?][] = [
    ['<a>' + '<b/>'.repeat(100) + '</a>', 'max-elements'],
    ['<a><a><a><a><a><a><a><a><a/></a></a></a></a></a></a></a></a>', 'max-depth'],
    ['<a b="1" c="2" d="3" e="4" f="5"/>', 'max-attributes'],
    ['<a xmlns:p1="u" xmlns:p2="u" xmlns:p3="u"><b xmlns:p4="u" xmlns:p5="u" xmlns:p6="u"><c xmlns:p7="u"/></b></a>', 'max-namespace-declarations'],
    [`<${'n'.repeat(21)}/>`, 'max-name-length'],
    [`<a b="${'v'.repeat(51)}"/>`, 'max-value-length'],
    [`<a>${'t'.repeat(51)}</a>`, 'max-value-length'],
    [`<a><![CDATA[${'t'.repeat(51)}]]></a>`, 'max-value-length'],
  ];
  for (const [xml, limit] of cases) {
    it(`refuses past ${limit} with 413 naming it`, () => {
      const err = refusal(xml);
      expect(err).toBeInstanceOf(DavConditionError);
      expect((err as DavConditionError).status).toBe(413);
      expect((err as DavConditionError).condition).toBe(`{http://dialbook.org/ns/}${limit}`);
    });
  }

  it('reads up to each limit', () => {
    expect(read('<a>' + '<b/>'.repeat(99) + '</a>').children).toHaveLength(99);
    expect(read('<a b="1" c="2" d="3" e="4" xmlns:p="u" xmlns:q="u"/>').attrs).toEqual({ b: '1', c: '2', d: '3', e: '4' });
    expect(read(`<a b="${'v'.repeat(50)}">${'t'.repeat(50)}<!---->${'t'.repeat(50)}</a>`).text).toHaveLength(100);
  });

  it('stops at the limit without reading the rest', () => {
    // The rest is not even well-formed: the refusal comes first.
    const err = refusal(`<a ${Array.from({ length: 7 }, (_, i) => `xmlns:p${i}="u"`).join(' ')} <<<`);
    expect((err as DavConditionError).condition).toContain('max-namespace-declarations');
  });
});
