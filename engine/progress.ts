/**
 * Progress on long work, for people and for programs. On a terminal, one live line per pass
 * (chunks done, rate, ETA); elsewhere one line per finished node; nothing with --quiet. A listener
 * (the studio, the cluster worker) gets every step as a ProgressEvent, quiet or not.
 */
import type { NodeStatus } from './run-types.ts';

export type ProgressEvent =
  /** A pass over the chunks starts for these fused frame nodes: `cached` of `total` chunks need no work. */
  | { type: 'pass'; nodes: string[]; total: number; cached: number }
  /** Chunk `chunk` (its index) is stored for every node of the pass; `done` of `total` chunks are finished. */
  | { type: 'chunk'; nodes: string[]; chunk: number; done: number; total: number }
  /** A dataset-level node starts computing (it reports no chunks). */
  | { type: 'node-start'; node: string; op: string }
  /** A node is finished: computed, cached, or cutoff (recomputed upstream, same inputs). */
  | {
      type: 'node';
      node: string;
      op: string;
      status: NodeStatus;
      seconds: number;
      chunks?: { computed: number; total: number };
    }
  | { type: 'info'; message: string };

export type ProgressListener = (event: ProgressEvent) => void;

export class Progress {
  private label = '';
  private total = 0;
  private done = 0;
  private passTotal = 0;
  private passDone = 0;
  private nodes: string[] = [];
  private t0 = 0;
  private lastDraw = 0;
  private readonly tty: boolean;
  /** Extra text after the bar (a cluster run: live workers). */
  status: (() => string) | null = null;

  constructor(
    private readonly quiet: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly listener?: ProgressListener,
  ) {
    this.tty = !quiet && !!out.isTTY && !process.env.CI;
  }

  /** A pass computing `toCompute` of `total` chunks of `nodes` (the rest are cached). */
  startPass(nodes: string[], toCompute: number, total = toCompute) {
    this.nodes = nodes;
    this.label = `computing ${nodes.join(', ')}`;
    this.total = total;
    this.done = total - toCompute;
    this.passTotal = toCompute;
    this.passDone = 0;
    this.t0 = performance.now();
    this.listener?.({ type: 'pass', nodes, total, cached: total - toCompute });
    this.draw(true);
  }

  /** Chunk `chunk` finished (the live line counts this pass's chunks). */
  tick(chunk: number) {
    this.done++;
    this.passDone++;
    this.listener?.({ type: 'chunk', nodes: this.nodes, chunk, done: this.done, total: this.total });
    this.draw(this.passDone === this.passTotal);
  }

  endPass() {
    if (this.tty) this.out.write('\r\x1b[2K');
  }

  nodeStart(id: string, op: string) {
    this.listener?.({ type: 'node-start', node: id, op });
    this.info(`  running  ${id} (${op}) …`, false);
  }

  /** A finished node (non-TTY: one line each). */
  node(
    id: string,
    op: string,
    status: NodeStatus,
    seconds: number,
    chunks?: { computed: number; total: number },
  ) {
    this.listener?.({ type: 'node', node: id, op, status, seconds, ...(chunks ? { chunks } : {}) });
    if (this.quiet) return;
    if (this.tty) this.out.write('\r\x1b[2K');
    const detail = chunks ? `  ${chunks.computed}/${chunks.total} chunks computed` : '';
    this.out.write(`  ${status.padEnd(8)} ${id} (${op}) ${seconds.toFixed(2)} s${detail}\n`);
  }

  info(msg: string, event = true) {
    if (event) this.listener?.({ type: 'info', message: msg });
    if (this.quiet) return;
    if (this.tty) this.out.write('\r\x1b[2K');
    this.out.write(`${msg}\n`);
  }

  private draw(force: boolean) {
    if (!this.tty) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const el = (now - this.t0) / 1000;
    const rate = el > 0 ? this.passDone / el : 0;
    const eta = rate > 0 ? (this.passTotal - this.passDone) / rate : 0;
    const width = 24;
    const fill = this.passTotal ? Math.round((width * this.passDone) / this.passTotal) : 0;
    const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
    this.out.write(
      `\r\x1b[2K${this.label} ${bar} ${this.passDone}/${this.passTotal} chunks  ${rate.toFixed(1)}/s  ETA ${eta.toFixed(0)} s${this.status ? `  ${this.status()}` : ''}`,
    );
  }
}
