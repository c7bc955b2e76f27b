/**
 * WebAssembly kernels: hand-written WAT text (`*.wat`, the source of truth, next to the op that uses
 * it) assembled to `*.wasm` by `npm run build:wasm` (engine/wasm-build.ts, wabt). The small binaries
 * are committed so nothing is compiled at install or run time; test/engine/wasm.test.ts checks each
 * one is exactly what its WAT assembles to.
 *
 * Why WASM at all: V8 does not vectorise JS loops; 128-bit SIMD (f32x4 / f64x2) gives the 2–4× the
 * hot loops (NMF, integration) need, with the same results on every machine.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const modules = new Map<string, WebAssembly.Module>();

/** The compiled module of a committed `.wasm` file (compiled once per thread, then shared). */
export function wasmModule(url: URL): WebAssembly.Module {
  const file = fileURLToPath(url);
  let m = modules.get(file);
  if (!m) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(fs.readFileSync(file));
    } catch (e) {
      throw new Error(`WASM kernel ${file} is missing (run \`npm run build:wasm\`): ${(e as Error).message}`);
    }
    m = new WebAssembly.Module(bytes);
    modules.set(file, m);
  }
  return m;
}

/** A fresh instance (its own linear memory) of a committed kernel. */
export function wasmInstance<E extends WebAssembly.Exports>(url: URL, imports: WebAssembly.Imports = {}): E {
  return new WebAssembly.Instance(wasmModule(url), imports).exports as E;
}

/** Grow `memory` so it holds at least `bytes` bytes. */
export function ensureMemory(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}
