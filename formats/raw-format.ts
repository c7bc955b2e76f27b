/**
 * Raw binary frames: a layout declared in the options (`raw`), or EMPAD — a bare `.raw` file
 * (128 × 130 float32 frames with 2 metadata rows) or its XML, which names the raw file and the scan.
 */
import { FileFormatError } from '../engine/errors.ts';
import { findEmpadXmlFor, isEmpadXml, pickEmpadScan, readEmpadXml, type EmpadXml } from './empad-xml.ts';
import type { FormatModule, ResolvedOptions } from './format-module.ts';
import { checkReadableFile, extOf } from './io.ts';
import { guessRawLayout, openRaw } from './raw.ts';

/** EMPAD frames are 128 × 130 float32 with 2 metadata rows; the scan comes from its XML if present. */
function openEmpad(file: string, opts: ResolvedOptions, xml: EmpadXml | null, assumed?: string) {
  const size = checkReadableFile(file).size;
  const layout = guessRawLayout(file, size);
  const frames = size / (130 * 128 * 4);
  let scan = opts.scan;
  if (!scan && xml) {
    scan = pickEmpadScan(xml, frames) ?? undefined;
    if (!scan && !opts.allowTruncated) {
      throw new FileFormatError(
        file,
        `EMPAD XML ${xml.xmlFile} declares scan ${xml.scans.map((s) => `${s.ny}×${s.nx}`).join(' or ') || '(none)'}, but the file holds ${frames} frames; pass scan to override`,
      );
    }
    scan ??= xml.scans[0];
  }
  const h = openRaw(file, layout, { ...opts, scan, assumed });
  if (xml) h.meta.empadXml = xml.xmlFile;
  h.format = 'empad';
  return h;
}

export const rawFormat: FormatModule = {
  name: 'raw',
  // Declared layouts win over sniffing; a bare `.raw` is tried as EMPAD; an EMPAD XML opens its raw file.
  sniff: (head, file, opts) => !!opts?.raw || extOf(file) === '.raw' || isEmpadXml(head, file),
  open(file, opts) {
    if (opts.raw) return openRaw(file, opts.raw, opts);
    if (extOf(file) === '.xml') {
      const xml = readEmpadXml(file);
      checkReadableFile(xml.rawFile);
      return openEmpad(xml.rawFile, opts, xml);
    }
    const xml = opts.scan ? null : findEmpadXmlFor(file);
    return openEmpad(
      file,
      opts,
      xml,
      xml
        ? undefined
        : 'EMPAD (128×130 float32 frames, 2 metadata rows dropped), from the .raw extension and file size',
    );
  },
};
