/**
 * The layers of ARCHITECTURE.md, enforced over the import graph: the engine and the cache know
 * nothing above them; ops, formats, the simulator and plots build on the engine; app/ wires them
 * together for the front ends (cli/, the studio, the cluster worker); nothing imports a front end.
 * And no import cycle anywhere.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, importSpecifiers } from './import-graph.ts';

const root = path.resolve(__dirname, '../..');
const FOLDERS = [
  'engine',
  'cache',
  'formats',
  'nodes',
  'sim',
  'viz',
  'report',
  'app',
  'cli',
  'studio',
  'cluster',
  'bench',
];

/** Which top-level folders each layer may import (its own always). */
const ALLOWED: Record<string, string[]> = {
  engine: ['cache'],
  cache: ['engine'],
  formats: ['engine', 'cache'],
  nodes: ['engine', 'cache', 'formats', 'sim'],
  sim: ['engine', 'cache', 'formats', 'nodes'],
  viz: ['engine', 'cache', 'formats'],
  report: ['engine', 'cache', 'formats', 'viz', 'nodes', 'sim'],
  app: ['engine', 'cache', 'formats', 'nodes', 'sim', 'viz', 'report', 'graphs'],
};
/** Front ends call app/ and below; the CLI also starts the others (snem studio, snem bench …). */
const FRONT_ENDS = ['cli', 'studio', 'cluster', 'bench'];
/** Besides the CLI: the studio's benchmark starts the studio server (bench/studio.ts). */
const STARTS: Record<string, string[]> = { bench: ['studio'] };

const graph = importGraph(root, FOLDERS);
const top = (f: string) => f.split('/')[0];

describe('import graph', () => {
  it('reads imports of every kind, and ignores those in comments', () => {
    const src = [
      "import a from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "import './d.ts';",
      'const e = await import("./e.ts");',
      "import fs from 'node:fs';",
      "// import x from './commented.ts';",
      "/** import y from './doc.ts'; */",
    ].join('\n');
    expect(importSpecifiers(src)).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts']);
    expect(importSpecifiers(src, true)).toEqual(['./a.ts', './c.ts', './d.ts', './e.ts']);
  });

  it('finds the sources of every layer', () => {
    for (const layer of ['engine', 'cache', 'nodes', 'app', 'cli'])
      expect([...graph.keys()].some((f) => top(f) === layer)).toBe(true);
  });

  it('keeps each layer to the layers below it', () => {
    const broken: string[] = [];
    for (const [file, deps] of graph) {
      const from = top(file);
      for (const dep of deps) {
        const to = top(dep);
        if (to === from) continue;
        const ok = FRONT_ENDS.includes(from)
          ? from === 'cli' || (STARTS[from] ?? []).includes(to) || !FRONT_ENDS.includes(to)
          : (ALLOWED[from] ?? []).includes(to);
        if (!ok)
          broken.push(
            `${file} imports ${dep} (${from}/ may import ${FRONT_ENDS.includes(from) ? 'anything but another front end' : (ALLOWED[from] ?? []).join(', ') || 'nothing outside itself'})`,
          );
      }
    }
    expect(
      broken,
      'layering (ARCHITECTURE.md "Layers"): engine/ takes ops, formats and the report as arguments (engine/wiring.ts), app/ wires them',
    ).toEqual([]);
  });

  it('has no import cycle (none at run time; in engine/, cache/ and app/ not even through type imports)', () => {
    // A type-only back-reference (a part typed against its owner) is erased at run time; the core
    // layers stay free of those too.
    const core = new Map([...graph].filter(([f]) => ['engine', 'cache', 'app'].includes(top(f))));
    expect(cycles(core).map((c) => c.join(' → '))).toEqual([]);
    expect(cycles(importGraph(root, FOLDERS, true)).map((c) => c.join(' → '))).toEqual([]);
  });

  it('detects a cycle when there is one', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
