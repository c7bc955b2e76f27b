/**
 * Bit-packed pixel masks, one per pattern: bit (p & 7) of byte p >> 3 is 1 when pixel p is masked.
 * 144 × 144 pixels take 2,592 bytes instead of 20,736.
 */

export function packedBytes(pixels: number): number {
  return (pixels + 7) >> 3;
}

export function setBit(bits: Uint8Array, offset: number, p: number): void {
  bits[offset + (p >> 3)] |= 1 << (p & 7);
}

export function getBit(bits: Uint8Array, offset: number, p: number): number {
  return (bits[offset + (p >> 3)] >> (p & 7)) & 1;
}

/** Pack a byte-per-pixel mask (non-zero = masked). */
export function packMask(
  mask: ArrayLike<number>,
  out = new Uint8Array(packedBytes(mask.length)),
  offset = 0,
): Uint8Array {
  for (let p = 0; p < mask.length; p++) if (mask[p]) out[offset + (p >> 3)] |= 1 << (p & 7);
  return out;
}

/** Unpack into a byte-per-pixel mask (1 = masked). */
export function unpackMask(
  bits: Uint8Array,
  pixels: number,
  offset = 0,
  out = new Uint8Array(pixels),
): Uint8Array {
  for (let p = 0; p < pixels; p++) out[p] = (bits[offset + (p >> 3)] >> (p & 7)) & 1;
  return out;
}
