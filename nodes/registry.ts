/**
 * The catalogue of every op. Each family lists its ops in its own index.ts, so writing an op is one
 * file plus one line there.
 */
import { UserError } from '../engine/errors.ts';
import type { OpDef, Registry } from '../engine/types.ts';
import { ops as calib } from './calib/index.ts';
import { ops as crystal } from './crystal/index.ts';
import { ops as decompose } from './decompose/index.ts';
import { ops as fit } from './fit/index.ts';
import { ops as integrate } from './integrate/index.ts';
import { ops as map } from './map/index.ts';
import { ops as mask } from './mask/index.ts';
import { ops as model } from './model/index.ts';
import { ops as pdf } from './pdf/index.ts';
import { ops as qoi } from './qoi/index.ts';
import { ops as sim } from './sim/index.ts';
import { ops as source } from './source/index.ts';
import { ops as structure } from './structure/index.ts';
import { ops as summary } from './summary/index.ts';

const ALL: OpDef[] = [
  ...source,
  ...sim,
  ...calib,
  ...mask,
  ...integrate,
  ...pdf,
  ...qoi,
  ...fit,
  ...map,
  ...decompose,
  ...structure,
  ...model,
  ...crystal,
  ...summary,
];

export type { Registry };

export function buildRegistry(ops: OpDef[]): Registry {
  const reg: Registry = new Map();
  for (const op of ops) {
    if (reg.has(op.name)) throw new Error(`op '${op.name}' is declared twice`);
    if (op.scope === 'frame' && !op.process) throw new Error(`frame op '${op.name}' has no process()`);
    if (op.scope === 'dataset' && !op.run) throw new Error(`dataset op '${op.name}' has no run()`);
    if (op.scope === 'reduce') checkReduceOp(op);
    reg.set(op.name, op);
  }
  return reg;
}

function checkReduceOp(op: OpDef) {
  if (!op.process || !op.merge || !op.finish || !op.reduce)
    throw new Error(`reduce op '${op.name}' needs process(), merge(), finish() and reduce`);
  for (const port of op.reduce.ports) {
    if (op.inputs[port]?.scope !== 'frame')
      throw new Error(`reduce op '${op.name}': reduce port '${port}' must be a frame-scope input`);
  }
  for (const p of op.reduce.params)
    if (!Object.hasOwn(op.params, p))
      throw new Error(`reduce op '${op.name}': reduce param '${p}' is not a declared param`);
}

let defaultRegistry: Registry | null = null;
/** Extra ops (tests register toy ops here before building a run). */
const extra: OpDef[] = [];

export function registerOps(ops: OpDef[]) {
  extra.push(...ops);
  defaultRegistry = null;
}

export function registry(): Registry {
  defaultRegistry ??= buildRegistry([...ALL, ...extra]);
  return defaultRegistry;
}

export function getOp(name: string, reg: Registry = registry()): OpDef {
  const op = reg.get(name);
  if (!op) throw new UserError(`unknown op '${name}'`);
  return op;
}

/**
 * Load op modules named in SNEM_OPS (comma-separated paths or URLs, each exporting `ops: OpDef[]`):
 * user plugins, and the toy ops of the engine tests. Called once per process and per worker.
 */
export async function loadPluginOps(spec = process.env.SNEM_OPS ?? ''): Promise<void> {
  const { pathToFileURL } = await import('node:url');
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const url = entry.startsWith('file:') ? entry : pathToFileURL(entry).href;
    if (loadedPlugins.has(url)) continue;
    loadedPlugins.add(url);
    const mod = (await import(url)) as { ops?: OpDef[] };
    if (!Array.isArray(mod.ops))
      throw new UserError(`op plugin ${entry}: expected it to export 'ops' (an array of op definitions)`);
    registerOps(mod.ops);
  }
}
const loadedPlugins = new Set<string>();
