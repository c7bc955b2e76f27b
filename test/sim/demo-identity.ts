/**
 * The demo's outputs byte-identical across refactors (issue 12): every written output's value hash
 * and .npy bytes are recorded in test/sim/demo-output-hashes.json with the op versions of its node
 * and every node upstream. A later run must reproduce each output whose versions are unchanged;
 * an output whose versions moved (an op's version bumped deliberately because its results change)
 * is reported as such and not compared. Refresh the record after a deliberate bump with
 * `SNEM_UPDATE_DEMO_HASHES=1 SNEM_SIM_SEEDS=1 npx vitest run test/sim/validation.test.ts`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Manifest } from '../../engine/run-types.ts';

export const DEMO_HASHES_FILE = path.join(import.meta.dirname, 'demo-output-hashes.json');

export interface DemoOutputRecord {
  /** The node's value hash (values, axes and meta). */
  valueHash: string;
  /** sha256 of the written .npy file, first 16 hex digits. */
  npy: string;
  /** `op@version` of the node and of every node upstream of it, sorted. */
  versions: string[];
}

export type DemoRecord = Record<string, DemoOutputRecord>;

/** `op@version` of `node` and everything upstream (the manifest's inputNodes). */
function versionsUpstream(m: Manifest, node: string): string[] {
  const seen = new Set<string>();
  const stack = [node];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const ref of Object.values(m.nodes[id].inputNodes)) stack.push(ref.split('.')[0]);
  }
  return [...new Set([...seen].map((id) => `${m.nodes[id].op}@${m.nodes[id].opVersion}`))].sort();
}

/** The record of a finished run directory: one entry per written output file. */
export function demoRecordOf(runDir: string): DemoRecord {
  const m = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8')) as Manifest;
  const out: DemoRecord = {};
  for (const o of [...m.outputs].sort((a, b) => a.file.localeCompare(b.file))) {
    const bytes = fs.readFileSync(path.join(runDir, o.file));
    out[o.file] = {
      valueHash: o.valueHash,
      npy: crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16),
      versions: versionsUpstream(m, o.node),
    };
  }
  return out;
}

/**
 * Compare a run against the record: `differs` lists outputs whose op versions are unchanged but
 * whose bytes or value hash are not (a regression, or a bump forgotten); `bumped` lists outputs not
 * compared because a version upstream changed; `missing` lists recorded outputs the run lacks (a failure); `added` new outputs (reported: a new field
 * comes with a version bump of its op).
 */
export function compareDemoRecord(recorded: DemoRecord, now: DemoRecord) {
  const differs: string[] = [];
  const bumped: string[] = [];
  for (const [file, r] of Object.entries(recorded)) {
    const n = now[file];
    if (!n) continue;
    if (r.versions.join() !== n.versions.join()) {
      const moved = n.versions.filter((v) => !r.versions.includes(v));
      bumped.push(`${file} (${moved.join(', ')})`);
    } else if (r.valueHash !== n.valueHash || r.npy !== n.npy) {
      differs.push(
        `${file}: value hash ${r.valueHash} → ${n.valueHash}, npy ${r.npy} → ${n.npy} with the same op versions`,
      );
    }
  }
  return {
    differs,
    bumped,
    missing: Object.keys(recorded).filter((f) => !now[f]),
    added: Object.keys(now).filter((f) => !recorded[f]),
  };
}
