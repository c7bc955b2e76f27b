/**
 * What the studio's browser tests share: a real `snem studio` process on a free port (the CLI, as
 * a person starts it), Debian's Chromium driven by playwright-core with a fresh profile, console
 * errors collected, and screenshots kept as test artefacts (test-artifacts/studio/; with
 * SNEM_UPDATE_DOCS=1 also the README's docs/studio/*.png).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const ARTIFACTS = path.join(REPO, 'test-artifacts', 'studio');
const DOCS = path.join(REPO, 'docs', 'studio');

export interface StudioProcess {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** `snem studio GRAPH --port 0 --cache DIR` as a child process; resolves with the URL it prints. */
export function startStudio(graphFile: string, cacheDir: string): Promise<StudioProcess> {
  const proc = spawn(
    process.execPath,
    [path.join(REPO, 'cli', 'snem.js'), 'studio', graphFile, '--port', '0', '--cache', cacheDir],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
    });
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /snem studio at (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], proc, stop });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    proc.once('exit', (code) =>
      reject(new Error(`snem studio exited (${code}) before printing its URL:\n${out}`)),
    );
  });
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<BrowserSession> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does this)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: { width: 1400, height: 1000 },
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on(
    'console',
    (m) => m.type() === 'error' && errors.push(`console: ${m.text()} (${m.location().url})`),
  );
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  return {
    browser: context.browser()!,
    context,
    page,
    errors,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshot kept as an artefact (the whole page, or one element). With SNEM_UPDATE_DOCS=1 and a
 * `doc` name, also the README's picture docs/studio/DOC.png: the element, or the page's viewport
 * (smaller than the full page), or its top `docHeight` px.
 */
export async function shot(
  target: Page | Locator,
  name: string,
  doc?: string,
  docHeight?: number,
): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const isPage = 'goto' in target;
  // The status line sticks to the window's foot: in a full-page picture it goes to the page's end,
  // in a panel's picture it would cover the panel.
  const flow = '.status-line { position: static !important; }';
  const hide = '.status-line { display: none !important; }';
  fs.writeFileSync(
    path.join(ARTIFACTS, `${name}.png`),
    isPage
      ? await target.screenshot({ fullPage: true, style: flow })
      : await target.screenshot({ style: hide }),
  );
  if (doc && process.env.SNEM_UPDATE_DOCS === '1') {
    fs.mkdirSync(DOCS, { recursive: true });
    // docHeight: only the top of the window (README pictures stay under ~400 KB).
    const clip =
      isPage && docHeight
        ? { x: 0, y: 0, width: target.viewportSize()!.width, height: docHeight }
        : undefined;
    fs.writeFileSync(
      path.join(DOCS, `${doc}.png`),
      isPage ? await target.screenshot({ clip }) : await target.screenshot({ style: hide }),
    );
  }
}

/** Wait until an element's pixels differ from `before` (a canvas redrawn with new data). */
export async function pixelsChange(el: Locator, before: Buffer, timeout = 60_000): Promise<Buffer> {
  let now = before;
  await expect
    .poll(
      async () => {
        now = await el.screenshot();
        return !now.equals(before);
      },
      { timeout, interval: 200 },
    )
    .toBe(true);
  return now;
}
