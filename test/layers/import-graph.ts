/**
 * The repository's import graph, read from the sources: every relative `import … from`, `export …
 * from`, side-effect `import '…'` and literal `import('…')` of each .ts/.js file under the given
 * top-level folders (type-only imports included: they tie the layers just as much).
 */
import fs from 'node:fs';
import path from 'node:path';

export type ImportGraph = Map<string, string[]>;

const IMPORT =
  /(?:^|[\n;])\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"\n]+)['"]|\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** Source files (repo-relative, '/' separated) under the folders, node_modules skipped. */
export function sourceFiles(root: string, folders: string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (/\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const f of folders) if (fs.existsSync(path.join(root, f))) walk(f);
  return out.sort();
}

/**
 * Relative specifiers a source text imports (comments stripped first, so examples in docs do not
 * count); `runtimeOnly` leaves out `import type` / `export type` (erased at run time).
 */
export function importSpecifiers(text: string, runtimeOnly = false): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  return [...code.matchAll(IMPORT)]
    .filter((m) => !(runtimeOnly && m[1]))
    .map((m) => m[2] ?? m[3])
    .filter((s) => s.startsWith('.'));
}

export function importGraph(root: string, folders: string[], runtimeOnly = false): ImportGraph {
  const g: ImportGraph = new Map();
  for (const f of sourceFiles(root, folders)) {
    const text = fs.readFileSync(path.join(root, f), 'utf8');
    g.set(
      f,
      importSpecifiers(text, runtimeOnly).map((s) =>
        path.posix.normalize(path.posix.join(path.posix.dirname(f), s)),
      ),
    );
  }
  return g;
}

/** Strongly connected components with more than one file (or a file importing itself): the import cycles. */
export function cycles(g: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}
