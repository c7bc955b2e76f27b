/**
 * Dragging the ellipse on the pattern. calib.geometry's ellipse [ρ = b/a ≤ 1, angle°] makes the
 * corrected radius r = √(ρ·u² + v²/ρ) with u along the angle (clockwise on screen, rows down) and
 * v across it, so a ring of radius R has semi-axes R/√ρ (along the angle) and R·√ρ (across).
 * Grabbing a ring and dragging: the ring keeps its R, and the pointer becomes the end of its major
 * axis (ρ = R²/d², angle = the pointer's direction); inside R it becomes the minor axis instead.
 */

/** Corrected radius (px) of the offset (dx, dy) from the centre under ellipse [ρ, angle°]. */
export function ellipseRadius(dx: number, dy: number, ratio: number, angleDeg: number): number {
  const a = (angleDeg * Math.PI) / 180;
  const u = Math.cos(a) * dx + Math.sin(a) * dy;
  const v = -Math.sin(a) * dx + Math.cos(a) * dy;
  return Math.sqrt(ratio * u * u + (v * v) / ratio);
}

/** The ellipse [ρ ≤ 1, angle in (−90°, 90°]] that puts the pointer (dx, dy) on the major (or minor) axis end of the ring R. */
export function ellipseFromDrag(dx: number, dy: number, R: number): [number, number] {
  const d = Math.hypot(dx, dy);
  let angle = (Math.atan2(dy, dx) * 180) / Math.PI;
  let ratio = (R * R) / (d * d);
  if (ratio > 1) {
    ratio = 1 / ratio;
    angle += 90;
  }
  while (angle <= -90) angle += 180;
  while (angle > 90) angle -= 180;
  return [ratio, angle];
}
