/** A small simulated dataset and a per-position graph for the studio server tests (made once per file). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveSimParams } from '../../sim/presets.ts';
import { simulateToDir } from '../../sim/write.ts';
import type { GraphDoc } from '../../engine/graph.ts';
import { listen, type StudioServer } from '../../studio/server/server.ts';
import { Studio } from '../../studio/server/studio.ts';
import { client } from './client.ts';

export const NY = 6;
export const NX = 10;

export interface StudioFixture {
  dir: string;
  data: string;
  graphFile: string;
  cacheDir: string;
  cleanup(): void;
}

/** The snem-bmg per-position chain (VBF, automask, I(Q), G(r), fit, r1, one expression), chunks of 16. */
export function chainGraph(dataPath: string): GraphDoc {
  const bmg = JSON.parse(
    fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'graphs', 'snem-bmg.json'), 'utf8'),
  ) as GraphDoc;
  const keep = [
    'frames',
    'geometry',
    'static',
    'vbf',
    'vdfSum',
    'automask',
    'iq',
    'pdf',
    'fit',
    'r1',
    'pdfLorch',
    'r1r2',
  ];
  const nodes = Object.fromEntries(keep.map((k) => [k, bmg.nodes[k]]));
  return {
    snem: 1,
    name: 'studio-test',
    dataset: { path: dataPath },
    chunkSize: 16,
    nodes,
    outputs: ['vbf', 'vdfSum', 'iq', 'pdf', 'fit', 'r1', 'r1r2', 'automask'],
  };
}

export async function makeFixture(): Promise<StudioFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-studio-'));
  const data = path.join(dir, 'data');
  await simulateToDir({
    outDir: data,
    params: resolveSimParams('demo', { seed: 3, ny: NY, nx: NX }),
    workers: 1,
  });
  const graphFile = path.join(dir, 'graph.json');
  fs.writeFileSync(graphFile, JSON.stringify(chainGraph('data/frames.npy'), null, 2));
  return {
    dir,
    data,
    graphFile,
    cacheDir: path.join(dir, 'cache'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A studio on a fresh fixture, served on a free port: what the server tests talk to. */
export interface StudioHarness {
  fx: StudioFixture;
  studio: Studio;
  srv: StudioServer;
  api: ReturnType<typeof client>;
  close(): Promise<void>;
}

export async function startStudio(): Promise<StudioHarness> {
  const fx = await makeFixture();
  const studio = await Studio.open({ target: fx.graphFile, cacheDir: fx.cacheDir });
  const srv = await listen(studio, { port: 0 });
  return {
    fx,
    studio,
    srv,
    api: client(srv.port),
    close: async () => {
      await srv.close();
      fx.cleanup();
    },
  };
}
