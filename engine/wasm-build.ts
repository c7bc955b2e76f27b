/**
 * Assembles every `*.wat` kernel under the source folders to the `*.wasm` beside it (wabt, SIMD on).
 * Run after editing a kernel: `npm run build:wasm`. See engine/wasm.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['engine', 'nodes', 'formats', 'sim'];

/** Every WAT kernel in the source tree (absolute paths). */
export function watFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.wat')) out.push(p);
    }
  };
  for (const f of FOLDERS) walk(path.join(ROOT, f));
  return out.sort();
}

/** The binary module for a WAT text; throws with wabt's message (file:line:col) on a syntax error. */
export async function assembleWat(file: string, text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(path.basename(file), text, { simd: true, threads: true });
  try {
    mod.validate();
    return Uint8Array.from(mod.toBinary({ log: false, write_debug_names: true }).buffer);
  } finally {
    mod.destroy();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const file of watFiles()) {
    const bytes = await assembleWat(file, fs.readFileSync(file, 'utf8'));
    const out = file.replace(/\.wat$/, '.wasm');
    fs.writeFileSync(out, bytes);
    console.log(`${path.relative(ROOT, out)}: ${bytes.length} bytes`);
  }
}
