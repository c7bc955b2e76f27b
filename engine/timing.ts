/**
 * Timing lines for finding where a command's wall time goes (issue 13): with SNEM_TIMING=1 each
 * marked step prints `timing: STEP  +Δ ms  (T ms since the process started)  cpu +C ms` on stderr,
 * where Δ is the wall time since the previous mark and C the CPU time of the process (all its
 * threads, user + system) since then: on a shared machine C says what a step costs, Δ what it took.
 * Off by default; a mark then costs one comparison.
 */

const enabled = process.env.SNEM_TIMING === '1';
let last = 0;
let lastCpu = 0;

/** Mark the end of a step (no-op unless SNEM_TIMING=1). */
export function timing(step: string): void {
  if (!enabled) return;
  const now = performance.now(); // ms since the process started
  const u = process.cpuUsage();
  const cpu = (u.user + u.system) / 1000;
  process.stderr.write(
    `timing: ${step.padEnd(38)} +${(now - last).toFixed(0).padStart(5)} ms  (${now.toFixed(0).padStart(5)} ms)  cpu +${(cpu - lastCpu).toFixed(0).padStart(5)} ms\n`,
  );
  last = now;
  lastCpu = cpu;
}

export const timingEnabled = (): boolean => enabled;
