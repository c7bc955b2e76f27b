/** Every `snem` command, one module each. */
import type { CommandModule } from 'yargs';
import { benchCommand } from './bench.ts';
import { cacheCommand } from './cache.ts';
import { demoCommand } from './demo.ts';
import { diffCommand } from './diff.ts';
import { exportCommand } from './export.ts';
import { infoCommand } from './info.ts';
import { nodesCommand } from './nodes.ts';
import { opsCommand } from './ops.ts';
import { paperCommand } from './paper.ts';
import { planCommand } from './plan.ts';
import { provenanceCommand } from './provenance.ts';
import { reportCommand } from './report.ts';
import { runCommand } from './run.ts';
import { serveCommand } from './serve.ts';
import { simulateCommand } from './simulate.ts';
import { studioCommand } from './studio.ts';
import { validateCommand } from './validate.ts';
import { workerCommand } from './worker.ts';

export const commands: CommandModule<any, any>[] = [
  runCommand,
  planCommand,
  validateCommand,
  diffCommand,
  nodesCommand,
  opsCommand,
  cacheCommand,
  benchCommand,
  infoCommand,
  simulateCommand,
  demoCommand,
  paperCommand,
  exportCommand,
  provenanceCommand,
  reportCommand,
  serveCommand,
  studioCommand,
  workerCommand,
];
