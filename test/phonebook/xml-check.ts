// One well-formedness check for golden files and real phone samples: xmllint (libxml2-utils)
// when installed, else fast-xml-parser's validator. Returns null when the text parses, else why.
import { spawnSync } from 'node:child_process';
import { XMLValidator } from 'fast-xml-parser';

let xmllint: boolean | null = null;

export function xmlParser(): 'xmllint' | 'fast-xml-parser' {
  if (xmllint === null) xmllint = spawnSync('xmllint', ['--version']).status === 0;
  return xmllint ? 'xmllint' : 'fast-xml-parser';
}

export function xmlProblem(text: string): string | null {
  if (xmlParser() === 'xmllint') {
    const r = spawnSync('xmllint', ['--noout', '--nonet', '-'], { input: text, encoding: 'utf8' });
    return r.status === 0 ? null : (r.stderr || `xmllint exited ${r.status}`);
  }
  const v = XMLValidator.validate(text);
  return v === true ? null : `${v.err.code}: ${v.err.msg} (line ${v.err.line})`;
}
