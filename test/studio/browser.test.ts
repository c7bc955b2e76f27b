/**
 * The studio in a real browser against a real `snem studio` on simulated data: open it, click a
 * position (pattern and G(r) change), change mask.auto α (I(Q) changes), drag an annulus (the
 * virtual image changes while dragging, then becomes a qoi.virtual node), run on the scan
 * (progress, then maps), save, run the saved graph with the CLI on a fresh cache and compare every
 * output byte for byte with the studio's run; no console errors. Screenshots of each step are kept
 * in test-artifacts/studio/.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSimParams } from '../../sim/presets.ts';
import { simulateToDir } from '../../sim/write.ts';
import { buildStudioWeb } from '../../studio/web/build.ts';
import { chainGraph } from './fixture.ts';
import { readMapFile } from '../../formats/map-file.ts';
import { ellipseRadius } from '../../studio/web/src/lib/ellipse-drag.ts';
import type { Page } from 'playwright-core';
import {
  openBrowser,
  pixelsChange,
  REPO,
  shot,
  startStudio,
  type BrowserSession,
  type StudioProcess,
} from './browser-harness.ts';

const run = promisify(execFile);
const NY = 12;
const NX = 18;

let tmp: string;
let graphFile: string;
let studio: StudioProcess;
let b: BrowserSession;

/** Drag a span on a plot from fraction f0 to f1 of its width. */
async function dragSpan(page: Page, testid: string, f0: number, f1: number) {
  const over = page.locator(`[data-testid="${testid}"] .u-over`);
  await over.scrollIntoViewIfNeeded();
  const box = (await over.boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * f0, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((f0 + f1) / 2), y);
  await page.mouse.move(box.x + box.width * f1, y);
  await page.mouse.up();
}

/**
 * fetch against the studio, retried on a network error: a kept-alive socket the server closes as
 * idle just as a request goes out resets (ECONNRESET) — seen under heavy load.
 */
async function get(p: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(new URL(p, studio.url), init);
    } catch (e) {
      if (attempt >= 2 || !(e instanceof TypeError)) throw e;
    }
  }
}

const api = async (p: string) => (await get(p)).json();

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-studio-web-'));
  const data = path.join(tmp, 'data');
  await Promise.all([
    buildStudioWeb(),
    simulateToDir({
      outDir: data,
      params: resolveSimParams('demo', { seed: 1, ny: NY, nx: NX }),
      workers: 1,
    }),
  ]);
  graphFile = path.join(tmp, 'graph.json');
  fs.writeFileSync(graphFile, JSON.stringify(chainGraph('data/frames.npy'), null, 2));
  studio = await startStudio(graphFile, path.join(tmp, 'cache'));
  b = await openBrowser();
}, 180_000);

afterAll(async () => {
  await b?.close();
  await studio?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('snem studio in the browser', () => {
  it('opens on the demo: navigator, pattern, chain, graph, node form, maps, run progress', async () => {
    const { page } = b;
    await page.goto(studio.url);
    for (const id of ['navigator', 'pattern', 'chain', 'graph', 'node-form', 'maps', 'run-progress'])
      await expect.poll(() => page.getByTestId(id).count(), { timeout: 30_000 }).toBe(1);
    // The navigator shows the VBF before any run; the chain is computed for the centre position.
    await page.locator('[data-testid="navigator-map-vbf.value"]').waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 60_000 })
      .toBe(`${NY >> 1},${NX >> 1}`);
    await page.getByTestId('plot-gr').waitFor();
    await shot(page, '01-open', 'studio-overview');
  });

  it('click a position: its pattern and G(r) change', async () => {
    const { page } = b;
    const gr = page.getByTestId('plot-gr');
    const pat = page.getByTestId('pattern-canvas');
    const [grBefore, patBefore] = [await gr.screenshot(), await pat.screenshot()];
    const nav = page.locator('[data-testid="navigator-map-vbf.value"]');
    const box = (await nav.boundingBox())!;
    // Position (2, 3): the corner region of the simulated laminate, unlike the centre.
    await nav.click({ position: { x: ((3 + 0.5) / NX) * box.width, y: ((2 + 0.5) / NY) * box.height } });
    await expect
      .poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 30_000 })
      .toBe('2,3');
    await expect
      .poll(() => page.getByTestId('pattern').getAttribute('data-position'), { timeout: 30_000 })
      .toBe('2,3');
    await pixelsChange(gr, grBefore);
    await pixelsChange(pat, patBefore);
    // Arrow keys move the cursor.
    await page.keyboard.press('ArrowRight');
    await expect
      .poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 30_000 })
      .toBe('2,4');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowLeft');
    await expect
      .poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 30_000 })
      .toBe('4,3');
    await page.keyboard.press('ArrowUp');
    await expect
      .poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 30_000 })
      .toBe('3,3');
    await expect
      .poll(() => page.getByTestId('status-position').textContent(), { timeout: 10_000 })
      .toMatch(/\(3, 3\)/);
    await shot(page, '02-position');
  });

  it('calibrant ring → Q scale: clicking Au 111 at a radius sets qPerPixel = 2π/d / r; dragging a ring sets the ellipse; both undo', async () => {
    const { page } = b;
    const canvas = page.getByTestId('pattern-canvas');
    const box = (await canvas.boundingBox())!;
    const s = box.width / 144; // 1:1 view: detector pixel centres at (c + 0.5)·s
    const toPage = (c: number, r: number) => [box.x + (c + 0.5) * s, box.y + (r + 0.5) * s] as const;
    const geo = (await api('/api/value?node=geometry')).meta as {
      center: [number, number];
      ellipse: [number, number];
    };
    const [cx, cy] = geo.center;
    const before = (await api('/api/graph')).version;
    await page.locator('[data-tool="calibrate"]').click();
    await page.getByTestId('calibrant').selectOption({ label: 'Au (fcc, a 4.0782 Å)' });
    await page.getByTestId('calibrant-ring').selectOption({ index: 0 });
    await page.mouse.click(...toPage(cx + 60, cy));
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.geometry.params.qPerPixel, { timeout: 30_000 })
      .toBeGreaterThan(0);
    const d111 = 4.0782 / Math.sqrt(3);
    const R = ellipseRadius(60, 0, geo.ellipse[0], geo.ellipse[1]);
    const qpp = (await api('/api/graph')).graph.nodes.geometry.params.qPerPixel as number;
    expect(Math.abs(qpp - (2 * Math.PI) / d111 / R) / qpp).toBeLessThan(0.01);
    await expect
      .poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 })
      .toMatch(/Q scale from Au 111/);
    await shot(page.getByTestId('pattern'), '02b-calibrant');
    await page.getByTestId('undo').click();
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.geometry.params.qPerPixel, { timeout: 30_000 })
      .toBeUndefined();
    // Ellipse: grab the ring 40 px right of the centre, drag to 46 px along 30° (rows down).
    await page.locator('[data-tool="ellipse"]').click();
    await page.mouse.move(...toPage(cx + 40, cy));
    await page.mouse.down();
    const a = Math.PI / 6;
    await page.mouse.move(...toPage(cx + 43 * Math.cos(a), cy + 43 * Math.sin(a)));
    await page.mouse.move(...toPage(cx + 46 * Math.cos(a), cy + 46 * Math.sin(a)));
    await page.mouse.up();
    await expect
      .poll(async () => Array.isArray((await api('/api/graph')).graph.nodes.geometry.params.ellipse), {
        timeout: 30_000,
      })
      .toBe(true);
    const [ratio, angle] = (await api('/api/graph')).graph.nodes.geometry.params.ellipse as [number, number];
    const R40 = ellipseRadius(40, 0, geo.ellipse[0], geo.ellipse[1]);
    expect(Math.abs(ratio - (R40 / 46) ** 2)).toBeLessThan(0.02);
    expect(Math.abs(angle - 30)).toBeLessThan(2);
    await page.getByTestId('undo').click();
    // The undo's version bump can be seen before its graph: wait for the ellipse itself.
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.geometry.params.ellipse, { timeout: 30_000 })
      .toEqual(JSON.parse(fs.readFileSync(graphFile, 'utf8')).nodes.geometry.params?.ellipse);
    expect((await api('/api/graph')).version).toBeGreaterThan(before + 1);
    await page.locator('[data-tool="pan"]').click();
  });

  it('change mask.auto alpha: I(Q) changes and the edit is in the graph', async () => {
    const { page } = b;
    const iq = page.getByTestId('plot-iq');
    const before = await iq.screenshot();
    const alpha = page.getByTestId('quick-automask-alpha');
    await alpha.fill('2.5');
    await alpha.press('Enter');
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.automask.params.alpha, { timeout: 30_000 })
      .toBe(2.5);
    await pixelsChange(iq, before);
    await shot(page.getByTestId('chain'), '03-alpha');
    // Undo puts the old value back (the edit is one undo step), redo re-applies it.
    await page.getByTestId('undo').click();
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.automask.params.alpha, { timeout: 30_000 })
      .toBe(3.5);
    await page.getByTestId('redo').click();
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.automask.params.alpha, { timeout: 30_000 })
      .toBe(2.5);
  });

  it('graph: select a node → its form; a bad value gets the validator message next to the field, nothing changes', async () => {
    const { page } = b;
    await page.locator('[data-testid="graph"] [data-node="automask"]').click();
    await expect.poll(() => page.getByTestId('node-form').getAttribute('data-node')).toBe('automask');
    const field = page.locator('[data-testid="node-form"] input[data-param="alpha"]');
    await expect.poll(() => field.inputValue()).toBe('2.5');
    const version = (await api('/api/graph')).version;
    await field.fill('-2');
    const msg = page.locator('[data-testid="node-form"] [data-testid="field-error"]');
    await expect
      .poll(() => msg.first().textContent(), { timeout: 30_000 })
      .toMatch(/expected a number > 0, got -2/);
    await field.press('Enter');
    await expect
      .poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 })
      .toMatch(/expected a number > 0/);
    expect((await api('/api/graph')).version).toBe(version);
    expect((await api('/api/graph')).graph.nodes.automask.params.alpha).toBe(2.5);
    await shot(page.getByTestId('node-form'), '03b-node-form');
    await shot(page.getByTestId('graph'), '03b-graph', 'studio-graph');
    await field.fill('2.5');
    await field.press('Enter');
  });

  it('drag an annulus: the virtual image changes while dragging, then it becomes a qoi.virtual node', async () => {
    const { page } = b;
    await page.locator('[data-tool="annulus"]').click();
    const canvas = page.getByTestId('pattern-canvas');
    const box = (await canvas.boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx + 40, cy);
    await page.mouse.down();
    for (let dx = 44; dx <= 80; dx += 6) await page.mouse.move(cx + dx, cy);
    const live = page.getByTestId('navigator-live');
    await live.waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.getByTestId('navigator-live-value').textContent(), { timeout: 30_000 })
      .toMatch(/live annulus/);
    const first = await live.screenshot();
    for (let dx = 86; dx <= 150; dx += 8) await page.mouse.move(cx + dx, cy);
    await pixelsChange(live, first);
    await page.mouse.up();
    // On release the page asks for the exact image (what the qoi.virtual node will store).
    await expect
      .poll(() => page.getByTestId('navigator-live-value').textContent(), { timeout: 60_000 })
      .toMatch(/live annulus \(exact/);
    await shot(page, '04-annulus', 'studio-annulus', 720);
    await page.getByTestId('add-detector').click();
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.vd1?.params?.shape, { timeout: 30_000 })
      .toBe('annulus');
    // A node now: the live image leaves the navigator.
    await expect.poll(() => page.getByTestId('navigator-live').count(), { timeout: 10_000 }).toBe(0);
  });

  it('run on the scan: progress, then maps', async () => {
    const { page } = b;
    await page.locator('[data-tool="pan"]').click();
    await page.getByTestId('run').click();
    await expect
      .poll(() => page.getByTestId('run-progress').getAttribute('data-running'), { timeout: 30_000 })
      .toBe('yes');
    await shot(page.getByTestId('run-progress'), '05-running');
    await expect
      .poll(() => page.getByTestId('run-progress').getAttribute('data-running'), { timeout: 170_000 })
      .toBe('no');
    expect(await page.getByTestId('run-progress').textContent()).toMatch(/done in/);
    // Every node reported, chunks counted, and maps on screen.
    // Node events and run-done arrive on one stream, but the chips render after the flag: poll.
    await expect
      .poll(() => page.locator('[data-testid="run-progress"] .chip[data-status="pending"]').count(), {
        timeout: 30_000,
      })
      .toBe(0);
    expect(
      await page.locator('[data-testid="run-progress"] .chip[data-status="computed"]').count(),
    ).toBeGreaterThan(3);
    await expect
      .poll(() => page.locator('[data-testid="maps"] .thumb canvas').count(), { timeout: 60_000 })
      .toBeGreaterThan(3);
    await page.locator('[data-testid="maps"] [data-map="r1.position"]').click();
    await page.getByTestId('maps-focus').waitFor();
    await shot(page, '06-maps');
    await shot(page.getByTestId('maps'), '06-maps-panel', 'studio-maps');
  }, 240_000);

  it('ROI → mean curves: a rectangle on the navigator gives mean I(Q), S(Q), F(Q), G(r) with a band and the count', async () => {
    const { page } = b;
    await page.locator('[data-testid="navigator"] [data-tool="rect"]').click();
    const nav = page.locator('[data-testid="navigator-map-vbf.value"]');
    const box = (await nav.boundingBox())!;
    const at = (ix: number, iy: number) =>
      [box.x + (ix / NX) * box.width, box.y + (iy / NY) * box.height] as const;
    // From the corner of position (1, 2) to that of (4, 7): rows 1–3 × columns 2–6 = 15 positions.
    await page.mouse.move(...at(2.1, 1.1));
    await page.mouse.down();
    await page.mouse.move(...at(4, 2));
    await page.mouse.move(...at(6.9, 3.9));
    await page.mouse.up();
    await expect
      .poll(() => page.getByTestId('roi-count').textContent(), { timeout: 30_000 })
      .toMatch(/ROI: 15 positions/);
    for (const id of ['plot-iq', 'plot-sq', 'plot-fq', 'plot-gr'])
      await expect
        .poll(() => page.locator(`[data-testid="${id}"] .u-legend`).textContent(), { timeout: 10_000 })
        .toContain('ROI mean (15)');
    // The same mean as the server answers for that rectangle.
    const m = await (
      await get('/api/curve/mean', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ node: 'pdf', field: 'G', roi: { rect: [1, 2, 4, 7] } }),
      })
    ).json();
    expect(m.positions).toBe(15);
    await shot(page.getByTestId('chain'), '06b-roi-mean', 'studio-roi');
    // The chain on the ROI's mean pattern, then back on the cursor's.
    await page.getByTestId('roi-chain').check();
    await expect
      .poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 30_000 })
      .toBe('roi');
    expect(await page.locator('[data-testid="chain"] header').textContent()).toMatch(
      /mean pattern of 15 positions/,
    );
    await page.getByTestId('roi-chain').uncheck();
    await expect
      .poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 30_000 })
      .not.toBe('roi');
    await page.locator('[data-testid="navigator"] [data-tool="pick"]').click();
  });

  it('mask editor: a rectangle saved → mask.static maskFile set → I(Q) changes', async () => {
    const { page } = b;
    const iq = page.getByTestId('plot-iq');
    const before = await iq.screenshot();
    const canvas = page.getByTestId('pattern-canvas');
    const box = (await canvas.boundingBox())!;
    await page.locator('[data-tool="mask-rect"]').click();
    // The right third of the detector, across the amorphous ring.
    await page.mouse.move(box.x + box.width * 0.62, box.y + box.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.5);
    await page.mouse.move(box.x + box.width * 0.97, box.y + box.height * 0.85);
    await page.mouse.up();
    await page.getByTestId('save-mask').click();
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.static.params?.maskFile, { timeout: 30_000 })
      .toBe('studio.mask.npy');
    expect(fs.existsSync(path.join(tmp, 'data', 'studio.mask.npy'))).toBe(true);
    await pixelsChange(iq, before);
    await shot(page.getByTestId('pattern'), '06c-mask', 'studio-mask');
    await page.locator('[data-tool="pan"]').click();
  });

  it('a span dragged on G(r) becomes a qoi.peak map, run at once', async () => {
    const { page } = b;
    await dragSpan(page, 'plot-gr', 0.25, 0.33);
    await page.getByTestId('span-to-map').click();
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.peak1?.op, { timeout: 30_000 })
      .toBe('qoi.peak');
    const range = (await api('/api/graph')).graph.nodes.peak1.params.range as number[];
    expect(range[0]).toBeGreaterThan(1.5);
    expect(range[1]).toBeLessThan(4.5);
    await page.locator('[data-testid="navigator-map-peak1.position"]').waitFor({ timeout: 120_000 });
    // The second run is finished when the server lists it.
    await expect
      .poll(
        async () =>
          ((await api('/api/runs')) as { status?: string }[]).filter((r) => r.status === 'done').length,
        { timeout: 120_000 },
      )
      .toBe(2);
    await expect
      .poll(() => page.getByTestId('run-progress').getAttribute('data-running'), { timeout: 30_000 })
      .toBe('no');
  }, 180_000);

  it('a span on G(r) → integral map (qoi.integral): its value at a position is the area under that position’s G(r)', async () => {
    const { page } = b;
    await dragSpan(page, 'plot-gr', 0.22, 0.36);
    await page.getByTestId('span-to-integral').click();
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.area1?.op, { timeout: 30_000 })
      .toBe('qoi.integral');
    const [x0, x1] = (await api('/api/graph')).graph.nodes.area1.params.range as number[];
    await page.locator('[data-testid="navigator-map-area1.integral"]').waitFor({ timeout: 120_000 });
    await expect
      .poll(
        async () =>
          ((await api('/api/runs')) as { status?: string }[]).filter((r) => r.status === 'done').length,
        { timeout: 120_000 },
      )
      .toBe(3);
    // Independent check at (4, 5): trapezoids on G(r) from /api/curve, window ends interpolated.
    const c = await api('/api/curve?node=pdf&field=G&iy=4&ix=5');
    const dec = (a: { b64: string }) => new Float32Array(new Uint8Array(Buffer.from(a.b64, 'base64')).buffer);
    const [r, G] = [dec(c.x), dec(c.y)];
    const at = (v: number) => {
      let j = 0;
      while (r[j + 1] < v) j++;
      return G[j] + ((v - r[j]) / (r[j + 1] - r[j])) * (G[j + 1] - G[j]);
    };
    const knots = [x0, ...Array.from(r).filter((v) => v > x0 && v < x1), x1];
    let area = 0;
    for (let k = 1; k < knots.length; k++)
      area += ((knots[k] - knots[k - 1]) * (at(knots[k]) + at(knots[k - 1]))) / 2;
    const m = await get('/api/map?node=area1&field=integral').then((x) => x.arrayBuffer());
    const h = new DataView(m).getUint32(0, true);
    const map = new Float32Array(m, 4 + h);
    expect(Math.abs(map[4 * NX + 5] - area)).toBeLessThan(1e-4 * (1 + Math.abs(area)));
    await expect
      .poll(() => page.getByTestId('run-progress').getAttribute('data-running'), { timeout: 30_000 })
      .toBe('no');
  }, 180_000);

  it('two runs side by side: the difference map is non-zero where the mask changed the curves', async () => {
    const { page } = b;
    const runs = (await api('/api/runs')) as { runId: string; status: string }[];
    // Newest first: run 1 (before the mask) and run 2 (with it, and peak1).
    const [r2, r1] = [runs[runs.length - 2].runId, runs[runs.length - 1].runId];
    await page.getByTestId('compare').locator('summary').click();
    await page.getByTestId('compare-a').selectOption(r1);
    await page.getByTestId('compare-b').selectOption(r2);
    await page.getByTestId('compare-map').selectOption('r1.position');
    await page.getByTestId('compare-go').click();
    await expect
      .poll(async () => Number(await page.getByTestId('diff-stats').getAttribute('data-max-abs')), {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    await shot(page.getByTestId('maps'), '07-diff');
  });

  it('histogram: dragging a colour limit saves it as the node’s display', async () => {
    const { page } = b;
    await page.locator('[data-testid="maps"] [data-map="r1.position"]').click();
    const hist = page.locator('[data-testid="histogram"] canvas');
    await hist.scrollIntoViewIfNeeded();
    const box = (await hist.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width - 2, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, y);
    await page.mouse.move(box.x + box.width * 0.7, y);
    await page.mouse.up();
    // qoi.peak has two fields: the limits go to display.fields.position.
    await expect
      .poll(async () => (await api('/api/graph')).graph.nodes.r1.display?.fields?.position?.limits, {
        timeout: 30_000,
      })
      .toHaveLength(2);
    const [lo, hi] = (await api('/api/graph')).graph.nodes.r1.display.fields.position.limits as number[];
    expect(lo).toBeLessThan(hi);
    await expect
      .poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 })
      .toMatch(/r1 display limits/);
    await shot(page.getByTestId('maps'), '08-histogram');
  });

  it('export: the float TIFF and the CSV downloaded hold the map’s values', async () => {
    const { page } = b;
    const m = await get('/api/map?node=r1&field=position').then((x) => x.arrayBuffer());
    const map = new Float32Array(m, 4 + new DataView(m).getUint32(0, true));
    for (const format of ['tiff', 'csv'] as const) {
      const [dl] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId(`export-${format}`).click(),
      ]);
      const file = path.join(tmp, `export-${format}${format === 'tiff' ? '.tif' : '.csv'}`);
      await dl.saveAs(file);
      if (format === 'tiff') {
        const got = await readMapFile(file);
        expect([got.ny, got.nx]).toEqual([NY, NX]);
        expect(Array.from(got.data)).toEqual(Array.from(map));
      } else {
        // Tidy CSV: iy, ix, value — each value the shortest decimal of the same float32.
        const rows = fs
          .readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split(',').map(Number));
        expect(rows.length).toBe(NY * NX);
        for (const [iy, ix, v] of rows) expect(Math.fround(v)).toBe(map[iy * NX + ix]);
      }
    }
  });

  it('save; the saved graph run by the CLI gives byte-identical outputs', async () => {
    const { page } = b;
    await page.getByTestId('save').click();
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toMatch(/^saved/);
    const saved = JSON.parse(fs.readFileSync(graphFile, 'utf8'));
    expect(saved.nodes.automask.params.alpha).toBe(2.5);
    expect(saved.nodes.vd1.op).toBe('qoi.virtual');
    const runs = (await api('/api/runs')) as { runDir: string; time: string }[];
    const studioRun = [...runs].sort((x, y) => x.time.localeCompare(y.time))[runs.length - 1].runDir;
    const cliRun = path.join(tmp, 'cli-run');
    await run(
      process.execPath,
      [
        path.join(REPO, 'cli', 'snem.js'),
        'run',
        graphFile,
        '--out',
        cliRun,
        '--cache',
        path.join(tmp, 'cli-cache'),
        '--quiet',
        '--no-report',
      ],
      { cwd: REPO },
    );
    const npys = (d: string) =>
      fs
        .readdirSync(d)
        .filter((f) => f.endsWith('.npy'))
        .sort();
    expect(npys(cliRun)).toEqual(npys(studioRun));
    expect(npys(cliRun)).toContain('vd1.npy');
    expect(npys(cliRun)).toContain('peak1.position.npy');
    for (const f of npys(cliRun))
      expect(fs.readFileSync(path.join(cliRun, f)).equals(fs.readFileSync(path.join(studioRun, f))), f).toBe(
        true,
      );
  }, 240_000);

  it('late answers never undo newer state: an edit answered after a later edit from another tab keeps the later graph', async () => {
    const { page } = b;
    const graphPanel = page.getByTestId('graph');
    const v0 = (await api('/api/graph')).version as number;
    await expect.poll(() => graphPanel.getAttribute('data-version'), { timeout: 30_000 }).toBe(String(v0));
    // Hold the page's edit answer until the other tab's later edit has reached the page.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/api/graph/edit', async (route) => {
      const answer = await route.fetch();
      await held;
      await route.fulfill({ response: answer });
    });
    try {
      const alpha = page.getByTestId('quick-automask-alpha');
      await alpha.fill('2');
      await alpha.press('Enter');
      await expect.poll(async () => (await api('/api/graph')).version, { timeout: 30_000 }).toBe(v0 + 1);
      const other = await get('/api/graph/edit', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          edits: [{ op: 'set', node: 'automask', param: 'alpha', value: 3 }],
          label: 'other tab',
        }),
      });
      expect(other.status).toBe(200);
      await expect
        .poll(() => graphPanel.getAttribute('data-version'), { timeout: 30_000 })
        .toBe(String(v0 + 2));
      release();
      // The page has read its edit's answer (its notice is the edit's label) and kept the newer graph.
      await expect
        .poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 })
        .toMatch(/automask\.alpha = 2/);
      expect(await graphPanel.getAttribute('data-version')).toBe(String(v0 + 2));
      await expect.poll(() => alpha.inputValue(), { timeout: 10_000 }).toBe('3');
    } finally {
      release();
      await page.unroute('**/api/graph/edit');
    }
  });

  it('a mask file rewritten on disk (no edit) is re-hashed and the page says so', async () => {
    const { page } = b;
    const maskFile = (await api('/api/graph')).graph.nodes.static.params.maskFile as string;
    const file = path.isAbsolute(maskFile) ? maskFile : path.join(tmp, 'data', maskFile);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 1; // one pixel more or less excluded
    fs.writeFileSync(file, bytes);
    await expect
      .poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 })
      .toMatch(/file changed on disk: static\.maskFile/);
  });

  it('looks: at 1400 × 900 and 1920 × 1080 the three columns sit side by side, nothing overflows; the status line shows the position and its QoIs', async () => {
    const { page } = b;
    for (const [w, h] of [
      [1400, 900],
      [1920, 1080],
    ]) {
      await page.setViewportSize({ width: w, height: h });
      await page.evaluate(() => window.scrollTo(0, 0));
      const boxes = await Promise.all(
        ['navigator', 'pattern', 'chain'].map(async (id) => (await page.getByTestId(id).boundingBox())!),
      );
      // Side by side, left to right, inside the window, tops aligned.
      expect(boxes[0].x + boxes[0].width).toBeLessThanOrEqual(boxes[1].x);
      expect(boxes[1].x + boxes[1].width).toBeLessThanOrEqual(boxes[2].x);
      expect(boxes[2].x + boxes[2].width).toBeLessThanOrEqual(w);
      expect(Math.abs(boxes[0].y - boxes[2].y)).toBeLessThan(2);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(w);
      const status = page.getByTestId('status-line');
      expect((await status.boundingBox())!.y + 26).toBeLessThanOrEqual(h + 1);
      await shot(page, `09-layout-${w}x${h}`);
    }
    await page.setViewportSize({ width: 1400, height: 1000 });
    const cur = await page.getByTestId('chain').getAttribute('data-position');
    expect(await page.getByTestId('status-position').textContent()).toContain(`(${cur!.replace(',', ', ')})`);
    await expect
      .poll(() => page.getByTestId('status-qoi').textContent(), { timeout: 30_000 })
      .toMatch(/r1\.position \d/);
  });

  it('no console errors', () => {
    expect(b.errors).toEqual([]);
  });
});
