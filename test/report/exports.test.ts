import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUserError } from '../../engine/errors.ts';
import { readNpy } from '../../formats/npy.ts';
import { loadHdf5 } from '../../formats/hdf5.ts';
import { openTiff } from '../../formats/tiff.ts';
import { exportRun } from '../../report/exports/export-node.ts';
import { decodeTiff, encodeTiff, provenanceFromDescription } from '../../report/exports/tiff.ts';
import { lookupProvenance } from '../../report/provenance-lookup.ts';
import { makeRun, NQ, NX, NY, type FabricatedRun } from './fixture.ts';

let tmp: string;
let run: FabricatedRun;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-export-'));
  run = makeRun(path.join(tmp, 'run'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('TIFF', () => {
  it('is a baseline little-endian float32 TIFF with sorted tags, SampleFormat 3 and an ImageJ header', () => {
    const data = new Float32Array([1.5, -2, Number.NaN, 4e-7, 5, 6]);
    const buf = encodeTiff([{ width: 3, height: 2, data }], {
      stepNm: { y: 2, x: 0.5 },
      provenance: { node: 'peak', unit: 'Å' },
    });
    expect(buf.toString('latin1', 0, 2)).toBe('II');
    expect(buf.readUInt16LE(2)).toBe(42);
    const ifd = buf.readUInt32LE(4);
    expect(ifd % 2).toBe(0);
    const n = buf.readUInt16LE(ifd);
    const tags = Array.from({ length: n }, (_, i) => buf.readUInt16LE(ifd + 2 + 12 * i));
    expect(tags).toEqual([...tags].sort((a, b) => a - b));
    const tag = (id: number) => ifd + 2 + 12 * tags.indexOf(id);
    expect(buf.readUInt16LE(tag(258) + 8)).toBe(32);
    expect(buf.readUInt16LE(tag(339) + 8)).toBe(3);
    const xres = buf.readUInt32LE(tag(282) + 8);
    expect(buf.readUInt32LE(xres) / buf.readUInt32LE(xres + 4)).toBeCloseTo(2, 9); // 2 px per nm
    const back = decodeTiff(buf);
    expect(back.pages[0].width).toBe(3);
    expect(Array.from(back.pages[0].data)).toEqual(Array.from(data));
    expect(back.description?.startsWith('ImageJ=')).toBe(true);
    expect(back.description).toContain('unit=nm');
    expect(provenanceFromDescription(back.description)).toEqual({ node: 'peak', unit: 'Å' });
  });

  it('exports a map and a [ny, nx, k] stack that read back equal to the source arrays', async () => {
    const r = await exportRun(run.dir, { node: 'peak', format: 'tiff', to: path.join(tmp, 'peak.tif') });
    const t = decodeTiff(fs.readFileSync(r.files[0]));
    expect([t.pages[0].height, t.pages[0].width]).toEqual([NY, NX]);
    expect(Array.from(t.pages[0].data)).toEqual(Array.from(run.arrays['peak.npy'].data));
    const s = await exportRun(run.dir, { node: 'nmf', format: 'tiff', to: path.join(tmp, 'nmf') });
    expect(s.files.map((f) => path.basename(f))).toEqual(['nmf.fractions.tif']); // components are not a map
    const stack = decodeTiff(fs.readFileSync(s.files[0]));
    expect(stack.pages.length).toBe(3);
    const src = run.arrays['nmf.fractions.npy'].data;
    for (let j = 0; j < 3; j++)
      for (let p = 0; p < NY * NX; p++) expect(stack.pages[j].data[p]).toBe(src[p * 3 + j]);
    // The format's own reader (snem reads its exports as datasets) sees the same pages.
    const asDataset = openTiff(s.files[0]);
    const pages = asDataset.read(0, 3);
    asDataset.close();
    expect(pages.shape).toEqual([3, NY, NX]);
    for (let j = 0; j < 3; j++)
      expect(pages.data.subarray(j * NY * NX, (j + 1) * NY * NX)).toEqual(stack.pages[j].data);
    const prov = await lookupProvenance(s.files[0]);
    expect(prov.record.node).toBe('nmf');
    expect(prov.record.field).toBe('fractions');
    expect(prov.record.run).toBe(run.manifest.run);
  });
});

describe('HDF5', () => {
  it('a whole run: every output equal to its source, axes and manifest as attributes', async () => {
    const file = path.join(tmp, 'run.h5');
    await exportRun(run.dir, { format: 'h5', to: file });
    const h5 = await loadHdf5();
    const f = new h5.File(file, 'r');
    try {
      for (const o of run.manifest.outputs) {
        const d = f.get(`${o.node}/${o.field}`) as unknown as {
          shape: number[];
          value: Float32Array;
          attrs: Record<string, { value: unknown }>;
        };
        expect(d.shape, o.file).toEqual(o.shape);
        expect(Array.from(d.value), o.file).toEqual(Array.from(run.arrays[o.file].data));
        if (o.unit) expect(d.attrs.unit.value).toBe(o.unit);
        if (o.axisFile) {
          const ax = f.get(`${o.node}/${o.field}_axis`) as unknown as { value: Float32Array };
          expect(Array.from(ax.value)).toEqual(Array.from(run.arrays[o.axisFile].data));
        }
      }
      const m = JSON.parse(f.attrs.snem_manifest.value as string);
      expect(m.run).toBe(run.manifest.run);
      expect(m.nodes.fit.params.range).toEqual([2.1, 4.0]);
    } finally {
      f.close();
    }
    expect((await lookupProvenance(file)).record.run).toBe(run.manifest.run);
  });
});

describe('CSV and npy', () => {
  it('map CSV lists every position with its float32 value exactly', async () => {
    const r = await exportRun(run.dir, { node: 'peak', format: 'csv', to: tmp });
    const lines = fs.readFileSync(r.files[0], 'utf8').trim().split('\n');
    expect(lines[0]).toBe('iy,ix,peak (Å)');
    expect(lines.length).toBe(NY * NX + 1);
    const src = run.arrays['peak.npy'].data;
    for (const line of lines.slice(1)) {
      const [iy, ix, v] = line.split(',');
      const want = src[Number(iy) * NX + Number(ix)];
      if (Number.isNaN(want)) expect(v).toBe('NaN');
      else expect(Math.fround(Number(v))).toBe(want);
    }
    expect((await lookupProvenance(r.files[0])).record.node).toBe('peak');
  });

  it('curves CSV at chosen positions and along a cut; npy export with axis', async () => {
    const r = await exportRun(run.dir, {
      node: 'iq',
      format: 'csv',
      to: path.join(tmp, 'iq.csv'),
      at: [{ iy: 2, ix: 3 }],
    });
    const rows = fs.readFileSync(r.files[0], 'utf8').trim().split('\n');
    expect(rows[0]).toBe('q,y2_x3');
    expect(rows.length).toBe(NQ + 1);
    const src = run.arrays['iq.npy'].data;
    expect(Math.fround(Number(rows[5].split(',')[1]))).toBe(src[(2 * NX + 3) * NQ + 4]);
    const c = await exportRun(run.dir, { node: 'peak', format: 'csv', to: tmp, cut: [0, 0, 0, NX - 1] });
    const cut = fs.readFileSync(c.files[0], 'utf8').trim().split('\n');
    expect(cut[0]).toBe('i,iy,ix,distance_nm,peak (Å)');
    expect(Number(cut[NX].split(',')[3])).toBeCloseTo((NX - 1) * 1.5, 5);
    const n = await exportRun(run.dir, { node: 'pdf', format: 'npy', to: path.join(tmp, 'npy') });
    const g = readNpy(path.join(tmp, 'npy', 'pdf.G.npy'));
    expect(g.shape).toEqual(run.arrays['pdf.G.npy'].shape);
    expect(Array.from(g.data)).toEqual(Array.from(run.arrays['pdf.G.npy'].data));
    expect(Array.from(readNpy(path.join(tmp, 'npy', 'pdf.G.axis.npy')).data)).toEqual(
      Array.from(run.arrays['pdf.G.axis.npy'].data),
    );
    expect(n.files.some((f) => f.endsWith('.provenance.json'))).toBe(true);
  });

  it('refuses what cannot be exported, naming the node', async () => {
    const e1 = await exportRun(run.dir, { node: 'iq', format: 'tiff', to: tmp }).catch((e) => e);
    expect(isUserError(e1)).toBe(true);
    expect(String(e1.message)).toMatch(/iq.*TIFF holds maps only/);
    const e2 = await exportRun(run.dir, { node: 'nope', format: 'npy', to: tmp }).catch((e) => e);
    expect(isUserError(e2)).toBe(true);
    expect(String(e2.message)).toContain("no node 'nope'");
    // A node the run did not write: read from the cache, which this fabricated run never filled.
    const e3 = await exportRun(run.dir, {
      node: 'geom',
      format: 'npy',
      to: tmp,
      cacheDir: path.join(tmp, 'empty-cache'),
    }).catch((e) => e);
    expect(isUserError(e3)).toBe(true);
    expect(String(e3.message)).toContain('geom');
  });
});
