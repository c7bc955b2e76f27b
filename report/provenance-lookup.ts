/**
 * Answer "what produced this file?" for anything snem wrote: a FILE.provenance.json sidecar, the
 * PNG's text chunks, the TIFF's ImageDescription, the HDF5 root attributes, or the run directory's
 * provenance.json / manifest.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../engine/errors.ts';
import type { Manifest } from '../engine/run-types.ts';
import { isHdf5 } from '../formats/hdf5.ts';
import { readPngText } from '../viz/png.ts';
import { readHdf5RootAttrs } from './exports/hdf5.ts';
import { decodeTiff, provenanceFromDescription } from './exports/tiff.ts';
import { nodeProvenance, runProvenance, SIDECAR, type FileProvenance } from './provenance.ts';

export interface ProvenanceAnswer {
  /** Where the answer was found. */
  from: string;
  record: FileProvenance;
}

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

export async function lookupProvenance(file: string): Promise<ProvenanceAnswer> {
  if (!fs.existsSync(file)) throw new UserError(`${file}: no such file`);
  if (fs.statSync(file).isDirectory()) file = path.join(file, 'manifest.json');
  const side = `${file}.provenance.json`;
  if (fs.existsSync(side)) return { from: side, record: readJson(side) };
  const head = Buffer.alloc(2048);
  const fd = fs.openSync(file, 'r');
  const n = fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  const bytes = head.subarray(0, n);
  const name = path.basename(file);
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    const t = readPngText(fs.readFileSync(file));
    if (t['snem:provenance'])
      return { from: 'PNG text chunk snem:provenance', record: JSON.parse(t['snem:provenance']) };
  } else if (/^(II\*\0|MM\0\*)/.test(bytes.subarray(0, 4).toString('latin1'))) {
    const p = provenanceFromDescription(decodeTiff(fs.readFileSync(file)).description);
    if (p) return { from: 'TIFF ImageDescription', record: p as FileProvenance };
  } else if (isHdf5(bytes)) {
    const attrs = await readHdf5RootAttrs(file);
    if (typeof attrs.snem_manifest === 'string') {
      const m = JSON.parse(attrs.snem_manifest) as Manifest;
      const r = runProvenance(m, name, 'export');
      return { from: 'HDF5 root attribute snem_manifest', record: r };
    }
  }
  const dir = path.dirname(file);
  const sidecar = path.join(dir, SIDECAR);
  if (fs.existsSync(sidecar)) {
    const rec = readJson(sidecar)?.files?.[name];
    if (rec) return { from: sidecar, record: rec };
  }
  const mf = path.join(dir, 'manifest.json');
  if (fs.existsSync(mf)) {
    const m = readJson(mf) as Manifest;
    const o = m.outputs?.find((w) => w.file === name || w.axisFile === name);
    if (o)
      return {
        from: mf,
        record: nodeProvenance(m, o.node, o.field, name, o.file === name ? 'data' : 'axis', o),
      };
    if (name === 'manifest.json' || name === 'report.html')
      return { from: mf, record: runProvenance(m, name, name === 'report.html' ? 'report' : 'manifest') };
  }
  throw new UserError(
    `${file}: no snem provenance found (no ${path.basename(side)} sidecar, no embedded record, and not listed in a run directory's provenance.json or manifest.json)`,
  );
}

/** Human-readable lines. */
export function formatProvenance(a: ProvenanceAnswer): string {
  const r = a.record;
  const lines: [string, string][] = [
    ['file', `${r.file} (${r.role})`],
    ['run', `${r.run}  created ${r.created}`],
    ['graph', `${r.graphName ?? '—'}${r.graphFile ? ` (${r.graphFile})` : ''}  hash ${r.graphHash}`],
    ['dataset', `${r.datasetPath ?? '—'}  hash ${r.datasetHash ?? '—'}`],
  ];
  if (r.node) {
    lines.push([
      'node',
      `${r.node}${r.field ? `  field ${r.field}` : ''}  op ${r.op ?? '?'}${r.opVersion != null ? ` v${r.opVersion}` : ''}`,
    ]);
    lines.push(
      ['key', r.key ?? '—'],
      ['value hash', r.valueHash ?? '—'],
      ['params', JSON.stringify(r.params ?? {})],
    );
    const inputs = Object.entries(r.inputs ?? {});
    lines.push([
      'inputs',
      inputs.length
        ? inputs.map(([p, i]) => `${p} ← ${i.node} (${i.valueHash})`).join('\n' + ' '.repeat(12))
        : '(none: a source)',
    ]);
  }
  if (r.figure) lines.push(['figure', JSON.stringify(r.figure)]);
  lines.push(['found in', a.from]);
  return `${lines.map(([k, v]) => `${k.padEnd(11)} ${v}`).join('\n')}\n`;
}
