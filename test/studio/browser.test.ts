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
import { openBrowser, pixelsChange, REPO, shot, startStudio, type BrowserSession, type StudioProcess } from './browser-harness.ts';

const run = promisify(execFile);
const NY = 12;
const NX = 18;

let tmp: string;
let graphFile: string;
let studio: StudioProcess;
let b: BrowserSession;

const api = async (p: string) => {
  const r = await fetch(new URL(p, studio.url));
  return r.json();
};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-studio-web-'));
  const data = path.join(tmp, 'data');
  await Promise.all([buildStudioWeb(), simulateToDir({ outDir: data, params: resolveSimParams('demo', { seed: 1, ny: NY, nx: NX }), workers: 1 })]);
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
    for (const id of ['navigator', 'pattern', 'chain', 'graph', 'node-form', 'maps', 'run-progress']) await expect.poll(() => page.getByTestId(id).count(), { timeout: 30_000 }).toBe(1);
    // The navigator shows the VBF before any run; the chain is computed for the centre position.
    await page.locator('[data-testid="navigator-map-vbf.value"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 60_000 }).toBe(`${NY >> 1},${NX >> 1}`);
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
    await expect.poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 30_000 }).toBe('2,3');
    await expect.poll(() => page.getByTestId('pattern').getAttribute('data-position'), { timeout: 30_000 }).toBe('2,3');
    await pixelsChange(gr, grBefore);
    await pixelsChange(pat, patBefore);
    // Arrow keys move the cursor.
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('chain').getAttribute('data-position'), { timeout: 30_000 }).toBe('2,4');
    await shot(page, '02-position');
  });

  it('change mask.auto alpha: I(Q) changes and the edit is in the graph', async () => {
    const { page } = b;
    const iq = page.getByTestId('plot-iq');
    const before = await iq.screenshot();
    const alpha = page.getByTestId('quick-automask-alpha');
    await alpha.fill('2.5');
    await alpha.press('Enter');
    await expect.poll(async () => (await api('/api/graph')).graph.nodes.automask.params.alpha, { timeout: 30_000 }).toBe(2.5);
    await pixelsChange(iq, before);
    await shot(page.getByTestId('chain'), '03-alpha');
    // Undo puts the old value back (the edit is one undo step), redo re-applies it.
    await page.getByTestId('undo').click();
    await expect.poll(async () => (await api('/api/graph')).graph.nodes.automask.params.alpha, { timeout: 30_000 }).toBe(3.5);
    await page.getByTestId('redo').click();
    await expect.poll(async () => (await api('/api/graph')).graph.nodes.automask.params.alpha, { timeout: 30_000 }).toBe(2.5);
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
    await expect.poll(() => msg.first().textContent(), { timeout: 30_000 }).toMatch(/expected a number > 0, got -2/);
    await field.press('Enter');
    await expect.poll(() => page.getByTestId('notice').textContent(), { timeout: 30_000 }).toMatch(/expected a number > 0/);
    expect((await api('/api/graph')).version).toBe(version);
    expect((await api('/api/graph')).graph.nodes.automask.params.alpha).toBe(2.5);
    await shot(page.locator('.col-form'), '03b-node-form');
    await shot(page.locator('.col-graph'), '03b-graph', 'studio-graph');
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
    await expect.poll(() => page.getByTestId('navigator-live-value').textContent(), { timeout: 30_000 }).toMatch(/live annulus/);
    const first = await live.screenshot();
    for (let dx = 86; dx <= 150; dx += 8) await page.mouse.move(cx + dx, cy);
    await pixelsChange(live, first);
    await page.mouse.up();
    // On release the page asks for the exact image (what the qoi.virtual node will store).
    await expect.poll(() => page.getByTestId('navigator-live-value').textContent(), { timeout: 60_000 }).toMatch(/live annulus \(exact/);
    await shot(page, '04-annulus', 'studio-annulus');
    await page.getByTestId('add-detector').click();
    await expect.poll(async () => (await api('/api/graph')).graph.nodes.vd1?.params?.shape, { timeout: 30_000 }).toBe('annulus');
  });

  it('run on the scan: progress, then maps', async () => {
    const { page } = b;
    await page.locator('[data-tool="pan"]').click();
    await page.getByTestId('run').click();
    await expect.poll(() => page.getByTestId('run-progress').getAttribute('data-running'), { timeout: 30_000 }).toBe('yes');
    await shot(page.getByTestId('run-progress'), '05-running');
    await expect.poll(() => page.getByTestId('run-progress').getAttribute('data-running'), { timeout: 170_000 }).toBe('no');
    expect(await page.getByTestId('run-progress').textContent()).toMatch(/done in/);
    // Every node reported, chunks counted, and maps on screen.
    expect(await page.locator('[data-testid="run-progress"] .chip[data-status="pending"]').count()).toBe(0);
    expect(await page.locator('[data-testid="run-progress"] .chip[data-status="computed"]').count()).toBeGreaterThan(3);
    await expect.poll(() => page.locator('[data-testid="maps"] .thumb canvas').count(), { timeout: 60_000 }).toBeGreaterThan(3);
    await page.locator('[data-testid="maps"] [data-map="r1.position"]').click();
    await page.getByTestId('maps-focus').waitFor();
    await shot(page, '06-maps');
    await shot(page.getByTestId('maps'), '06-maps-panel', 'studio-maps');
  }, 240_000);

  it('a span dragged on G(r) becomes a qoi.peak map, run at once', async () => {
    const { page } = b;
    const over = page.locator('[data-testid="plot-gr"] .u-over');
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.25, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.29, y);
    await page.mouse.move(box.x + box.width * 0.33, y);
    await page.mouse.up();
    await page.getByTestId('span-to-map').click();
    await expect.poll(async () => (await api('/api/graph')).graph.nodes.peak1?.op, { timeout: 30_000 }).toBe('qoi.peak');
    const range = (await api('/api/graph')).graph.nodes.peak1.params.range as number[];
    expect(range[0]).toBeGreaterThan(1.5);
    expect(range[1]).toBeLessThan(4.5);
    await page.locator('[data-testid="navigator-map-peak1.position"]').waitFor({ timeout: 120_000 });
    // The second run is finished when the server lists it.
    await expect.poll(async () => ((await api('/api/runs')) as { status?: string }[]).filter((r) => r.status === 'done').length, { timeout: 120_000 }).toBe(2);
    await expect.poll(() => page.getByTestId('run-progress').getAttribute('data-running'), { timeout: 30_000 }).toBe('no');
  }, 180_000);

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
    await run(process.execPath, [path.join(REPO, 'cli', 'snem.js'), 'run', graphFile, '--out', cliRun, '--cache', path.join(tmp, 'cli-cache'), '--quiet', '--no-report'], { cwd: REPO });
    const npys = (d: string) => fs.readdirSync(d).filter((f) => f.endsWith('.npy')).sort();
    expect(npys(cliRun)).toEqual(npys(studioRun));
    expect(npys(cliRun)).toContain('vd1.npy');
    expect(npys(cliRun)).toContain('peak1.position.npy');
    for (const f of npys(cliRun)) expect(fs.readFileSync(path.join(cliRun, f)).equals(fs.readFileSync(path.join(studioRun, f))), f).toBe(true);
  }, 240_000);

  it('no console errors', () => {
    expect(b.errors).toEqual([]);
  });
});
