/**
 * The EMPAD acquisition XML: names its `.raw` file (`<raw_file filename=…>`) and the scan
 * (`<scan_parameters mode="acquire">` with `scan_resolution_x/y`; some files hold the data of the
 * "search" scan instead, so both are offered and the one matching the file size wins).
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileFormatError } from '../engine/errors.ts';
import type { ScanShape } from '../engine/types.ts';
import { extOf } from './io.ts';

export interface EmpadXml {
  xmlFile: string;
  rawFile: string;
  /** Candidate scans, acquire first. */
  scans: ScanShape[];
}

export function isEmpadXml(head: Uint8Array, file: string): boolean {
  return extOf(file) === '.xml' && Buffer.from(head).toString('latin1').includes('<raw_file');
}

export function parseEmpadXml(xmlFile: string, text: string): EmpadXml {
  const raw = /<raw_file[^>]*\bfilename\s*=\s*"([^"]+)"/.exec(text)?.[1];
  if (!raw) throw new FileFormatError(xmlFile, 'EMPAD XML without <raw_file filename="…">');
  const scans: ScanShape[] = [];
  for (const mode of ['acquire', 'search']) {
    const block = new RegExp(
      `<scan_parameters[^>]*mode\\s*=\\s*"${mode}"[^>]*>([\\s\\S]*?)</scan_parameters>`,
    ).exec(text)?.[1];
    const nx = Number(/<scan_resolution_x>\s*(\d+)\s*</.exec(block ?? '')?.[1]);
    const ny = Number(/<scan_resolution_y>\s*(\d+)\s*</.exec(block ?? '')?.[1]);
    if (nx > 0 && ny > 0) scans.push({ ny, nx });
  }
  const count = Number(/<count>\s*(\d+)\s*</.exec(text)?.[1]);
  if (/<type>\s*series\s*</.test(text) && count > 0) scans.unshift({ ny: 1, nx: count });
  // The XML names the raw file by its acquisition path; look for it next to the XML.
  const rawFile = path.join(path.dirname(xmlFile), path.basename(raw.replace(/\\/g, '/')));
  return { xmlFile, rawFile, scans };
}

export function readEmpadXml(xmlFile: string): EmpadXml {
  return parseEmpadXml(xmlFile, fs.readFileSync(xmlFile, 'latin1'));
}

/** An XML in the same folder that names `rawFile` (at most 50 XML files looked at). */
export function findEmpadXmlFor(rawFile: string): EmpadXml | null {
  const dir = path.dirname(rawFile);
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((n) => n.toLowerCase().endsWith('.xml'))
      .slice(0, 50);
  } catch {
    return null;
  }
  for (const n of names) {
    try {
      const x = readEmpadXml(path.join(dir, n));
      if (path.basename(x.rawFile) === path.basename(rawFile)) return x;
    } catch {
      /* not an EMPAD XML */
    }
  }
  return null;
}

/** The scan among the XML's candidates whose frame count matches the file. */
export function pickEmpadScan(x: EmpadXml, frames: number): ScanShape | null {
  return x.scans.find((s) => s.ny * s.nx === frames) ?? null;
}
