// The import map of src/: no two modules import each other (directly or round a longer circle,
// type-only imports included), and no module imports one that sits in a layer above its own.
// The layers are stated here, once; docs/architecture.md explains them. An arrow that cannot be
// fixed yet goes in ALLOWED_UPWARD with its reason: the list may only shrink.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/**
 * Bottom to top: a module may import from its own layer and the layers below it. A room is a
 * folder under src/ or a file directly in it (without .ts).
 */
const LAYERS: string[][] = [
  ['errors', 'error-answer', 'domain'], // the model: schemas, validation, the error types and the one error answer
  ['config'], // the configuration schema and its loading
  ['store'], // the store contract and its two engines
  ['ops', 'auth'], // metrics, logging, readiness; passwords, tokens, sign-in limits
  ['directory', 'vcard', 'jobs'], // the read model, vCard text, the job threads
  ['app-context'], // what a running server holds, handed to every front end
  ['spreadsheet'], // import and export (on the job threads)
  ['api', 'carddav', 'ldap', 'phonebook', 'portal'], // the front ends
  ['http', 'bootstrap'], // the HTTP app that mounts the front ends; first-start seeding
  ['server'], // builds the context and starts every listener
  ['cli'], // the `dialbook` command
];

/** Upward imports kept for now, as "from -> to" (paths under src/), each with why. */
const ALLOWED_UPWARD: Record<string, string> = {};

/** Arrows that close an import circle, kept for now, each with why. Every one must still close one. */
const ALLOWED_CIRCLE_ARROWS: Record<string, string> = {};

const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.split('\\').join('/'))
  .sort();
const known = new Set(files);

/** Each module's relative imports (import, import type, export from, import()), as paths under src/. */
const imports = new Map<string, string[]>(files.map((f) => {
  const text = readFileSync(join(SRC, f), 'utf8');
  const targets = ts.preProcessFile(text, true, true).importedFiles
    .map((i) => i.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(SRC, resolve(SRC, dirname(f), name)).split('\\').join('/'))
    .filter((t) => t.endsWith('.ts'));
  return [f, [...new Set(targets)]];
}));

const roomOf = (f: string) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : f.replace(/\.ts$/, ''));
const layerOf = (room: string) => LAYERS.findIndex((l) => l.includes(room));

/** The strongly connected groups of more than one module (Tarjan): each is an import circle. */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); group.push(w); } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import map of src/', () => {
  it('reads the modules and resolves every relative import to one of them', () => {
    expect(files.length).toBeGreaterThan(100);
    const unresolved = [...imports].flatMap(([f, ts]) => ts.filter((t) => !known.has(t)).map((t) => `${f} -> ${t}`));
    expect(unresolved).toEqual([]);
  });

  it('puts every room in one layer', () => {
    const rooms = [...new Set(files.map(roomOf))];
    expect(rooms.filter((r) => layerOf(r) < 0)).toEqual([]);
    expect(LAYERS.flat().filter((r) => !rooms.includes(r))).toEqual([]);
    expect(new Set(LAYERS.flat()).size).toBe(LAYERS.flat().length);
  });

  it('has no two modules that import each other, directly or round a circle', () => {
    const without = (allowed: string[]) => new Map([...imports].map(([f, targets]) => [f, targets.filter((t) => !allowed.includes(`${f} -> ${t}`))]));
    const allowed = Object.keys(ALLOWED_CIRCLE_ARROWS);
    expect(circles(without(allowed))).toEqual([]);
    // an allowed arrow that no longer closes a circle leaves the list
    expect(allowed.filter((arrow) => circles(without(allowed.filter((a) => a !== arrow))).length === 0)).toEqual([]);
  });

  it('has no module that imports one in a layer above its own', () => {
    const upward = [...imports].flatMap(([f, targets]) => targets
      .filter((t) => layerOf(roomOf(t)) > layerOf(roomOf(f)))
      .map((t) => `${f} -> ${t}`));
    expect(upward.filter((arrow) => !(arrow in ALLOWED_UPWARD))).toEqual([]);
    // an allowed arrow that is gone leaves the list with it
    expect(Object.keys(ALLOWED_UPWARD).filter((arrow) => !upward.includes(arrow))).toEqual([]);
  });
});
