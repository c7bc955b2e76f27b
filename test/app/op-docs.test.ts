/**
 * The op documentation is generated from the ops' declarations: README.md's op table and
 * docs/ops.md must be exactly what `snem nodes --markdown --write` makes now. A declaration
 * changed without regenerating them fails here.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedOpDocs } from '../../app/op-docs-files.ts';
import { opsBlockOf, opsTableMarkdown } from '../../app/op-docs.ts';
import { registry } from '../../nodes/registry.ts';

describe('generated op documentation', () => {
  const ops = [...registry().values()];

  for (const [file, text] of expectedOpDocs(ops))
    it(`${file.split('/').slice(-2).join('/')} is what the declarations make`, () => {
      const onDisk = fs.readFileSync(file, 'utf8');
      expect(
        onDisk === text,
        `${file} drifted from the ops' declarations: run 'snem nodes --markdown --write'`,
      ).toBe(true);
    });

  it("the README's table has one row per registered op, each naming its fields", () => {
    const block = opsBlockOf(fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));
    expect(block).toBe(opsTableMarkdown(ops));
    const rows = block!.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.map((r) => r.slice(3, r.indexOf('`', 3))).sort()).toEqual(ops.map((o) => o.name).sort());
    expect(rows.find((r) => r.startsWith('| `pdf.reduce`'))).toMatch(/`G` \[positions, nr\] Å⁻²/);
  });
});
