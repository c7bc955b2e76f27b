/**
 * `snem info FILE`: what a data file is — format, scan and frame shape, dtype, size, calibration —
 * read from its header (and at most a few small reads), never the whole file.
 */
import fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import type { Json } from '../../engine/types.ts';
import type { OpenOptions } from '../../formats/open.ts';
import { handle } from '../handler.ts';

interface InfoArgs {
  file: string;
  json?: boolean;
  scan?: string;
  allowTruncated?: boolean;
  h5Path?: string;
  raw?: string;
  profiles?: boolean;
}

export interface DatasetInfo {
  file: string;
  format: string;
  kind: string;
  scan: { ny: number; nx: number };
  positions: number;
  frameShape: number[];
  dtype: string;
  fileBytes: number;
  frameBytes: number;
  meta: Record<string, Json>;
}

export async function describeFile(file: string, opts: OpenOptions): Promise<DatasetInfo> {
  const { openDatasetAsync } = await import('../../formats/open.ts');
  const { bytesPerElement } = await import('../../engine/ndarray.ts');
  const h = await openDatasetAsync(file, opts);
  try {
    return {
      file,
      format: h.format,
      kind: h.kind,
      scan: h.scan,
      positions: h.scan.ny * h.scan.nx,
      frameShape: h.frameShape,
      dtype: h.dtype,
      fileBytes: fs.statSync(file).size,
      frameBytes: h.frameShape.reduce((a, b) => a * b, 1) * bytesPerElement(h.dtype),
      meta: h.meta,
    };
  } finally {
    h.close();
  }
}

function short(v: Json): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

function text(i: DatasetInfo): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 3 : 1)} MB`;
  const lines = [
    `${i.file}`,
    `  format      ${i.format} (${i.kind})`,
    `  scan        ${i.scan.ny} × ${i.scan.nx} = ${i.positions} positions`,
    `  ${i.kind === 'profiles' ? 'profile' : 'frame  '}     ${i.frameShape.join(' × ')} ${i.dtype} (${i.frameBytes} bytes)`,
    `  file        ${i.fileBytes} bytes (${mb(i.fileBytes)})`,
  ];
  const keys = Object.keys(i.meta).filter((k) => k !== 'x');
  if (keys.length) {
    lines.push('  metadata');
    for (const k of keys) lines.push(`    ${k.padEnd(20)} ${short(i.meta[k])}`);
  }
  return `${lines.join('\n')}\n`;
}

export const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info <file>',
  describe: 'describe a data file: format, scan and frame shape, dtype, metadata (reads only its headers)',
  builder: (y) =>
    y
      .positional('file', {
        type: 'string',
        describe: 'data file (npy, blo, mib/hdr, h5/emd, tif, raw, csv)',
        demandOption: true,
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('scan', { type: 'string', describe: 'scan shape NYxNX for flat frame stacks (e.g. 289x132)' })
      .option('allow-truncated', {
        type: 'boolean',
        default: false,
        describe: 'accept a file with fewer frames than declared (missing frames read as NaN)',
      })
      .option('h5-path', { type: 'string', describe: 'dataset path inside an HDF5/EMD file' })
      .option('raw', {
        type: 'string',
        describe:
          'raw layout as JSON: {"shape":[rows,cols],"dtype":"float32","offset":0,"frameHeaderBytes":0,"frameFooterBytes":0,"dropRows":0,"littleEndian":true}',
      })
      .option('profiles', {
        type: 'boolean',
        default: false,
        describe: 'open as 1-D profiles (npy + NAME.axis.npy)',
      }) as never,
  handler: handle(async (a: InfoArgs) => {
    const opts: OpenOptions = {};
    if (a.scan) opts.scan = a.scan;
    if (a.allowTruncated) opts.allowTruncated = true;
    if (a.h5Path) opts.h5Path = a.h5Path;
    if (a.profiles) opts.profiles = true;
    if (a.raw) {
      try {
        opts.raw = JSON.parse(a.raw);
      } catch (e) {
        throw new UserError(
          `--raw: expected a JSON layout such as {"shape":[130,128],"dtype":"float32","dropRows":2}, found ${JSON.stringify(a.raw)} (${(e as Error).message})`,
        );
      }
    }
    const info = await describeFile(a.file, opts);
    process.stdout.write(a.json ? `${JSON.stringify(info, null, 2)}\n` : text(info));
  }),
};
