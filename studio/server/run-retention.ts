/**
 * Studio runs' directories: each studio run writes a full run directory (`GRAPHDIR/runs/NAME-studio-
 * STAMP/`, its graph beside it as `….graph.json`), so without care they pile up. After each run the
 * studio keeps the newest N of this graph's studio runs (by name, whose stamp sorts by time) and
 * removes older ones, except runs that are pinned (a `….pinned` file beside the directory, so a pin
 * outlives the session) or whose graph is a saved version's (the graph a person chose to keep).
 * Only directories named like a studio run of this graph are ever touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hashValue } from '../../engine/hash.ts';
import type { GraphDoc } from '../../engine/graph.ts';
import type { Json } from '../../engine/types.ts';

export const DEFAULT_KEEP_RUNS = 5;

/** The run-directory name prefix of a graph's studio runs. */
export function studioRunPrefix(graphName: string): string {
  return `${graphName.replace(/[^A-Za-z0-9_-]/g, '_')}-studio-`;
}

/** A graph's identity for "is this run a saved version's": everything but where the dataset lies. */
export function graphIdentity(doc: GraphDoc): string {
  const { dataset, ...rest } = doc;
  const ds = dataset ? { ...dataset, path: path.basename(dataset.path) } : null;
  return hashValue({ ...rest, dataset: ds } as unknown as Json);
}

export const pinFile = (runDir: string) => `${runDir}.pinned`;

export function isPinned(runDir: string): boolean {
  return fs.existsSync(pinFile(runDir));
}

export function setPinned(runDir: string, pinned: boolean): void {
  if (pinned) fs.writeFileSync(pinFile(runDir), `${new Date().toISOString()}\n`);
  else fs.rmSync(pinFile(runDir), { force: true });
}

/** The graph a studio run ran (its `….graph.json`), or null if unreadable. */
function runGraph(runDir: string): GraphDoc | null {
  try {
    return JSON.parse(fs.readFileSync(`${runDir}.graph.json`, 'utf8')) as GraphDoc;
  } catch {
    return null;
  }
}

/**
 * Remove this graph's studio run directories beyond the newest `keep`, sparing pinned runs and
 * runs of a saved version (`saved`: graphIdentity of every saved version). Returns those removed.
 */
export function pruneStudioRuns(
  runsDir: string,
  graphName: string,
  keep: number,
  saved: Set<string>,
): string[] {
  if (!fs.existsSync(runsDir)) return [];
  const prefix = studioRunPrefix(graphName);
  const stamp = /^\d{8}-\d{6}-\d{3}$/;
  const runs = fs
    .readdirSync(runsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith(prefix) && stamp.test(e.name.slice(prefix.length)))
    .map((e) => e.name)
    .sort()
    .reverse();
  const removed: string[] = [];
  for (const name of runs.slice(Math.max(1, keep))) {
    const dir = path.join(runsDir, name);
    if (isPinned(dir)) continue;
    const g = runGraph(dir);
    if (g && saved.has(graphIdentity(g))) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(`${dir}.graph.json`, { force: true });
    removed.push(dir);
  }
  return removed;
}
