/**
 * Electron-optical scalars of a calibration: relativistic wavelength, effective camera length in
 * pixels, and the small-angle error of a linear Q axis at the detector corner (SCIENCE.md).
 */

const PLANCK = 6.62607015e-34; // J s
const ELECTRON_MASS = 9.1093837015e-31; // kg
const ELEMENTARY_CHARGE = 1.602176634e-19; // C
const LIGHT_SPEED = 299792458; // m/s

/** λ (Å) = h / sqrt(2 m₀ e E (1 + eE / (2 m₀ c²))), E the accelerating voltage in kV (= keV per electron). */
export function electronWavelength(beamEnergyKeV: number): number {
  const eE = ELEMENTARY_CHARGE * beamEnergyKeV * 1e3;
  const p = Math.sqrt(2 * ELECTRON_MASS * eE * (1 + eE / (2 * ELECTRON_MASS * LIGHT_SPEED * LIGHT_SPEED)));
  return (PLANCK / p) * 1e10;
}

/** γ = 1 + eE / (m₀c²). */
export function relativisticFactor(beamEnergyKeV: number): number {
  return 1 + (ELEMENTARY_CHARGE * beamEnergyKeV * 1e3) / (ELECTRON_MASS * LIGHT_SPEED * LIGHT_SPEED);
}

/** Effective camera length in pixels (small-angle): L = 2π / (Q_pixel · λ). */
export function cameraLengthPx(qPerPixel: number, wavelength: number): number {
  return (2 * Math.PI) / (qPerPixel * wavelength);
}

/** Q per pixel (Å⁻¹, Q units) from a reflection of spacing d (Å) seen at `radiusPx`: Q = 2π/d over that many pixels. */
export function qPerPixelFromSpacing(dSpacing: number, radiusPx: number): number {
  return (2 * Math.PI) / (dSpacing * radiusPx);
}

/**
 * δQ = 4π (sin θmax − θmax) / λ at the detector corner, where θmax is the half scattering angle the
 * linear (small-angle) axis assigns to the corner: θmax = Q_lin λ / (4π) = r / (2L).
 * Negative: the linear axis over-states Q there by |δQ|.
 */
export function cornerErrorQ(cornerRadiusPx: number, qPerPixel: number, wavelength: number): number {
  const thetaMax = (cornerRadiusPx * qPerPixel * wavelength) / (4 * Math.PI);
  return (4 * Math.PI * (Math.sin(thetaMax) - thetaMax)) / wavelength;
}
