/**
 * Progress on long work: on a terminal, one live line per pass (chunks done, rate, ETA); elsewhere
 * one line per finished node; nothing with --quiet.
 */
export class Progress {
  private label = '';
  private total = 0;
  private done = 0;
  private t0 = 0;
  private lastDraw = 0;
  private readonly tty: boolean;
  /** Extra text after the bar (a cluster run: live workers). */
  status: (() => string) | null = null;

  constructor(
    private readonly quiet: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = !quiet && !!out.isTTY && !process.env.CI;
  }

  startPass(label: string, total: number) {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.t0 = performance.now();
    this.draw(true);
  }

  tick(n = 1) {
    this.done += n;
    this.draw(this.done === this.total);
  }

  endPass() {
    if (this.tty) this.out.write('\r\x1b[2K');
  }

  /** A finished node (non-TTY: one line each). */
  node(id: string, op: string, status: string, seconds: number, detail = '') {
    if (this.quiet) return;
    if (this.tty) this.out.write('\r\x1b[2K');
    this.out.write(`  ${status.padEnd(8)} ${id} (${op}) ${seconds.toFixed(2)} s${detail ? `  ${detail}` : ''}\n`);
  }

  info(msg: string) {
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
    const rate = el > 0 ? this.done / el : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    const width = 24;
    const fill = this.total ? Math.round((width * this.done) / this.total) : 0;
    const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
    this.out.write(`\r\x1b[2K${this.label} ${bar} ${this.done}/${this.total} chunks  ${rate.toFixed(1)}/s  ETA ${eta.toFixed(0)} s${this.status ? `  ${this.status()}` : ''}`);
  }
}
