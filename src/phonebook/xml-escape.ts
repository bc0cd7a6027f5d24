// The one XML escaper of every phonebook template. Phone parsers often know only the five named
// entities (issue #9 item 9), so we write exactly what XML 1.0 needs: & < > in text, and " as
// well inside (double-quoted) attribute values; characters XML 1.0 cannot carry are dropped.
// Templates are compiled without Handlebars' HTML escaping; instead every {{value}} in a template
// is rewritten at load time into {{xmlText value}} or {{xmlAttr value}} by where it stands.
import type Handlebars from 'handlebars';

// XML 1.0 cannot carry these at all, even escaped.
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function clean(text: string): string {
  return text.replace(XML_ILLEGAL, '');
}

function str(v: unknown): string {
  return v === null || v === undefined ? '' : clean(String(v));
}

// Most values need nothing: one test instead of four replacements (a directory has thousands).
const TEXT_PLAIN = /^[^&<>\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]*$/;
const ATTR_PLAIN = /^[^&<>"\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]*$/;

export function escapeXmlText(v: unknown): string {
  if (typeof v === 'string' && TEXT_PLAIN.test(v)) return v;
  return str(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeXmlAttr(v: unknown): string {
  if (typeof v === 'string' && ATTR_PLAIN.test(v)) return v;
  return escapeXmlText(v).replace(/"/g, '&quot;');
}

type Node = hbs.AST.Node & Record<string, unknown>;

/**
 * Parses a template and wraps every output mustache in the escaper for its position: inside a
 * start tag it must stand in a double-quoted attribute value, elsewhere it is text. Throws on
 * unescaped output ({{{ }}} / {{& }}) and on a mustache in a single-quoted or bare attribute.
 */
export function escapedTemplateAst(hb: typeof Handlebars, source: string): hbs.AST.Program {
  if (/\{\{\{|\{\{&/.test(source)) throw new Error('uses unescaped output ({{{ or {{&), which is not allowed');
  const ast = hb.parse(source);
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const offset = (loc: hbs.AST.SourceLocation) => lineStarts[loc.start.line - 1] + loc.start.column;

  const visit = (node: Node | null | undefined): void => {
    if (!node) return;
    if (node.type === 'Program') for (const child of (node as unknown as hbs.AST.Program).body) visit(child as Node);
    if (node.type === 'BlockStatement') {
      visit(node.program as Node);
      visit(node.inverse as Node);
    }
    if (node.type === 'MustacheStatement') {
      const m = node as unknown as hbs.AST.MustacheStatement;
      const before = source.slice(0, offset(m.loc));
      const lt = before.lastIndexOf('<');
      const inTag = lt > before.lastIndexOf('>') && !before.startsWith('<!--', lt);
      let helper = 'xmlText';
      if (inTag) {
        const tag = before.slice(lt);
        const quotes = (tag.match(/"/g) ?? []).length;
        if (quotes % 2 !== 1) throw new Error(`line ${m.loc.start.line}: a value inside a tag must stand in a double-quoted attribute`);
        helper = 'xmlAttr';
      }
      const inner = m.params.length === 0 && !m.hash
        ? m.path
        : ({ type: 'SubExpression', path: m.path, params: m.params, hash: m.hash, loc: m.loc } as unknown as hbs.AST.SubExpression);
      m.path = { type: 'PathExpression', data: false, depth: 0, parts: [helper], original: helper, loc: m.loc } as unknown as hbs.AST.PathExpression;
      m.params = [inner as hbs.AST.Expression];
      m.hash = undefined as unknown as hbs.AST.Hash;
    }
  };
  visit(ast as unknown as Node);
  return ast;
}

export function registerEscapers(hb: typeof Handlebars): void {
  hb.registerHelper('xmlText', escapeXmlText);
  hb.registerHelper('xmlAttr', escapeXmlAttr);
}
