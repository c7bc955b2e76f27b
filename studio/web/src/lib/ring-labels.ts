/**
 * Where the labels of concentric rings go on the pattern view: each at the first angle (from
 * upper right outwards) where it neither leaves the canvas nor covers a label already placed.
 * Calibrant rings sit a few pixels apart, so labels all at 45° piled up into an unreadable block;
 * a label with no free place is left out (its ring stays, and the ring list names it).
 */
export interface RingLabel {
  text: string;
  colour: string;
  /** Ring centre and radius in canvas pixels. */
  cx: number;
  cy: number;
  r: number;
  /** Lower first: the selected calibrant ring or the ellipse being dragged before reference rings. */
  priority: number;
  /** Text box size in canvas pixels (measureText width, font height). */
  width: number;
  height: number;
}

export interface PlacedLabel {
  text: string;
  colour: string;
  /** Left end of the text's baseline. */
  x: number;
  y: number;
}

/** Angles tried, in degrees from +x with y down (−45° = upper right), nearest the diagonal first. */
const ANGLES = [-45, -35, -55, -25, -65, -15, -75, -5, -85, 5, 15, 25, 35, 45];
const GAP = 3;

export function placeRingLabels(labels: RingLabel[], width: number, height: number): PlacedLabel[] {
  const boxes: [number, number, number, number][] = [];
  const out: PlacedLabel[] = [];
  const order = labels.map((l, i) => ({ l, i })).sort((a, b) => a.l.priority - b.l.priority || a.i - b.i);
  for (const { l } of order) {
    for (const deg of ANGLES) {
      const a = (deg * Math.PI) / 180;
      const x = l.cx + l.r * Math.cos(a) + GAP;
      const y = l.cy + l.r * Math.sin(a) - GAP;
      const box: [number, number, number, number] = [x, y - l.height, x + l.width, y + 2];
      const inside = box[0] >= 0 && box[1] >= 0 && box[2] <= width && box[3] <= height;
      if (!inside || boxes.some((b) => overlaps(b, box))) continue;
      boxes.push(box);
      out.push({ text: l.text, colour: l.colour, x, y });
      break;
    }
  }
  return out;
}

function overlaps(a: [number, number, number, number], b: [number, number, number, number]): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}
