/**
 * The generated op documentation as files of the package: README.md's op table (between the
 * markers) and docs/ops.md. `snem nodes --markdown --write` writes them; the drift test compares.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../engine/errors.ts';
import type { OpDef } from '../engine/types.ts';
import { OPS_DOC, OPS_END, opsMarkdown, opsTableMarkdown, replaceOpsBlock } from './op-docs.ts';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What each generated file should hold now: path → text. */
export function expectedOpDocs(ops: Iterable<OpDef>, root = packageRoot): Map<string, string> {
  const list = [...ops];
  const readme = path.join(root, 'README.md');
  const updated = replaceOpsBlock(fs.readFileSync(readme, 'utf8'), opsTableMarkdown(list));
  if (updated === null)
    throw new UserError(`${readme}: no op table block (a line '<!-- ops:begin …' and one '${OPS_END}')`);
  return new Map([
    [readme, updated],
    [path.join(root, OPS_DOC), opsMarkdown(list)],
  ]);
}

/** Write the files that differ from what the declarations make; returns their paths. */
export function writeOpDocs(ops: Iterable<OpDef>, root = packageRoot): string[] {
  const written: string[] = [];
  for (const [file, text] of expectedOpDocs(ops, root)) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) continue;
    fs.writeFileSync(file, text);
    written.push(file);
  }
  return written;
}
