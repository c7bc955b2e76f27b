/**
 * Everything a run leaves for people to look at: map PNGs, plots, report.html.
 * Called by the engine after the run's .npy outputs and manifest are written.
 */
import type { Manifest } from '../engine/run-types.ts';

export async function renderRun(_runDir: string, _manifest: Manifest): Promise<void> {
  // Filled in by the report issue (#7).
}
