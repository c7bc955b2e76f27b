/** Ring labels on the pattern view: close calibrant rings get labels that neither overlap nor leave the canvas. */
import { describe, expect, it } from 'vitest';
import { placeRingLabels, type RingLabel } from '../../studio/web/src/lib/ring-labels.ts';

const label = (r: number, priority = 2, text = `ring ${r}`): RingLabel => ({
  text,
  colour: '#fff',
  cx: 200,
  cy: 200,
  r,
  priority,
  width: 70,
  height: 11,
});

const box = (p: { x: number; y: number }) => [p.x, p.y - 11, p.x + 70, p.y + 2];

describe('ring labels', () => {
  it('labels of rings 4 px apart do not overlap and stay inside the canvas', () => {
    const rings = [60, 64, 68, 72, 76, 80, 84, 88].map((r) => label(r));
    const placed = placeRingLabels(rings, 400, 400);
    expect(placed.length).toBe(rings.length); // room for all at other angles
    const boxes = placed.map(box);
    for (const [i, a] of boxes.entries()) {
      expect(a[0]).toBeGreaterThanOrEqual(0);
      expect(a[2]).toBeLessThanOrEqual(400);
      for (const b of boxes.slice(i + 1))
        expect(a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]).toBe(false);
    }
  });

  it('the selected ring keeps the diagonal; a label with no room is left out', () => {
    const placed = placeRingLabels([label(80), label(80, 0, 'selected')], 400, 400);
    const sel = placed.find((p) => p.text === 'selected')!;
    expect(sel.x).toBeCloseTo(200 + 80 * Math.SQRT1_2 + 3, 6);
    // A canvas too small for any label: nothing placed rather than text off the edge.
    expect(placeRingLabels([label(80)], 100, 100)).toEqual([]);
  });
});
