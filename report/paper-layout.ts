/**
 * The figures of the reference study, in its order, and the graph of graphs/paper/ that makes each:
 * what `snem paper` runs and how paper.html lays the results out. A panel names a node (and field)
 * of that graph's run; `kind` says how to draw it when the output's shape alone does not.
 */

export type PanelKind =
  /** By the output's shape, as report.html draws it (map, map stack, curves, [k, n] components, profile). */
  | 'auto'
  /** Per-position curves along the middle scan row as a waterfall, and `map` with the cut marked. */
  | 'waterfall'
  /** The node's two-Gaussian fit drawn over its curve at three representative positions. */
  | 'fit'
  /** Every field ([n] or [k, n] on one axis) of the node as series of one plot. */
  | 'series'
  /** A map.correlate node's 2-D histogram of its two maps, on their value axes (its bin centres), r and ρ in the title. */
  | 'scatter'
  /**
   * Three characteristic points (min, median, max of the map `with`): each one's raw pattern, the
   * pattern under the node's per-pattern mask (mask.auto), and I(Q) of the `field` curves node.
   */
  | 'points';

export interface Panel {
  node: string;
  field?: string;
  kind?: PanelKind;
  /** waterfall: the map the cut is marked on; points: the map whose min / median / max pick the points. */
  with?: string;
  /** points: the I(Q) output (node.field) drawn at the points. */
  curves?: string;
  /** series: fields to plot (default all). */
  fields?: string[];
}

export interface PaperFigure {
  id: string;
  label: string;
  /** File in graphs/paper/. */
  graph: string;
  title: string;
  /** What the figure shows (the caption's first sentence). */
  shows: string;
  panels: Panel[];
}

export const PAPER_FIGURES: PaperFigure[] = [
  {
    id: 'fig2d',
    label: 'Fig. 2(d)',
    graph: 'fig02-qoi.json',
    title: 'Quantities of interest from the diffraction patterns',
    shows:
      'Virtual bright field (transmitted beam), annulus sum and annulus max on the amorphous ring (nanocrystals light up in the max), the first-ring position of I(Q) and r₁max of G(r): Ni at both edges, glass between.',
    panels: [
      { node: 'vbf' },
      { node: 'vdfSum' },
      { node: 'vdfMax' },
      { node: 'ring', field: 'position' },
      { node: 'r1', field: 'position' },
    ],
  },
  {
    id: 'fig3-4',
    label: 'Fig. 3–4',
    graph: 'fig03-04-cut.json',
    title: 'ePDFs along a line cut across the laminate',
    shows:
      'G(r) of the patterns along the middle scan row, Ni → glass → Ni, stacked as a waterfall; the map shows r₁max with the cut and its sampled positions marked. Towards the Ni the first peak sharpens and moves down, then the Ni shells take over.',
    panels: [{ node: 'pdf', field: 'G', kind: 'waterfall', with: 'r1.position' }],
  },
  {
    id: 'fig5',
    label: 'Fig. 5',
    graph: 'fig05-sectors.json',
    title: 'Sector virtual dark fields of the inclusions',
    shows:
      'Annulus max over the ring (every crystal) and four 90° sectors of it: an inclusion appears in a sector only when its spots fall there, so the sectors sort the crystals by orientation.',
    panels: [
      { node: 'vdfMax' },
      { node: 'vdfSector0' },
      { node: 'vdfSector45' },
      { node: 'vdfSector90' },
      { node: 'vdfSector135' },
    ],
  },
  {
    id: 'fig6',
    label: 'Fig. 6',
    graph: 'fig06-gauss.json',
    title: 'First-shell maps: r₁max, G(r₁max), σ₁ and sharpness',
    shows:
      "r₁max and G(r₁max) of the Lorch-windowed G(r); σ₁ and c₁ of the study's two-Gaussian fit of the first-shell doublet (band 0.1–8.1 Å⁻¹, starts 2.4 / 3.5 Å, bounds [2.4, 3.0] / [3.0, 4.0] Å); sharpness G(r₁max)/σ₁; and the fit drawn over G(r) at three positions.",
    panels: [
      { node: 'r1', field: 'position' },
      { node: 'r1', field: 'height' },
      { node: 'fit', field: 'sigma1' },
      { node: 'fit', field: 'c1' },
      { node: 'sharpness' },
      { node: 'fit', kind: 'fit' },
    ],
  },
  {
    id: 'fig7',
    label: 'Fig. 7',
    graph: 'fig07-pearson.json',
    title: 'Pearson similarity maps and the QoI response simulated from the structure model',
    shows:
      "Pearson r of every G(r) (1.5–8 Å) with the glass mean, the scan mean and a corner position in the Ni. 7(c): r₁max and r₁max + r₂max (c₁ + c₂ of the two-Gaussian fit) of a glass G(r) built from the structure model's partials, against the short-range order α at three Zr fractions (model.response).",
    panels: [
      { node: 'pearsonGlass' },
      { node: 'pearsonAll' },
      { node: 'pearsonCorner' },
      { node: 'response', kind: 'series', fields: ['r1max'] },
      { node: 'response', kind: 'series', fields: ['r1r2'] },
    ],
  },
  {
    id: 'fig8',
    label: 'Fig. 8',
    graph: 'fig08-csro.json',
    title: 'Chemical short-range order from the two-Gaussian fit',
    shows:
      'r₁max + r₂max (c₁ + c₂: clustering lowers it) and r₂max − r₁max, and c₁ + c₂ along the middle scan row.',
    panels: [{ node: 'r1r2' }, { node: 'r2r1' }, { node: 'cutR1R2', field: 'profile' }],
  },
  {
    id: 'fig9',
    label: 'Fig. 9',
    graph: 'fig09-nmf.json',
    title: 'NMF components, bond maps and short-range order',
    shows:
      "The four NMF components of the glass G(r) (one a background), the pair-fraction (bond) maps Zr–Zr, Zr–X and X–X from unmixing them with the model's partials (beside them in Fig. S10), the short-range order α and α along the middle row.",
    panels: [
      { node: 'nmf', field: 'components' },
      { node: 'bonds', field: 'ZrZr' },
      { node: 'bonds', field: 'ZrX' },
      { node: 'bonds', field: 'XX' },
      { node: 'sro', field: 'alpha' },
      { node: 'cutAlpha', field: 'profile' },
    ],
  },
  {
    id: 'fig10',
    label: 'Fig. 10',
    graph: 'fig10-eels.json',
    title: 'EELS elemental map beside the bond maps',
    shows:
      'An EELS Zr map acquired on its own grid, registered onto the scan through the survey ADF channel of the spectrum image (map.register against a virtual ADF over the same angles, its transform applied to Zr) and correlated with r₁max over the glass (the scatter as a 2-D histogram, and both along the middle row), beside the Zr–Zr bond map.',
    panels: [
      { node: 'eelsZrOnScan', field: 'map' },
      { node: 'bonds', field: 'ZrZr' },
      { node: 'eelsZrVsR1', kind: 'scatter' },
      { node: 'eelsZrVsR1', kind: 'series', fields: ['cutA'] },
      { node: 'eelsZrVsR1', kind: 'series', fields: ['cutB'] },
    ],
  },
  {
    id: 'figS7',
    label: 'Fig. S7',
    graph: 'figS7-points.json',
    title: 'Three characteristic points: pattern, automatic mask, I(Q)',
    shows:
      "At the positions of the lowest, median and highest annulus max (on the simulated laminate: Ni grains at both ends, glass in the middle): the raw pattern (log counts), the same pattern with mask.auto's per-pattern mask (static mask, detector edge, ring outliers such as Bragg spots; gray = masked), and the azimuthally integrated I(Q) of the three.",
    panels: [{ node: 'automask', field: 'mask', kind: 'points', with: 'vdfMax.value', curves: 'iq.I' }],
  },
  {
    id: 'figS9',
    label: 'Fig. S9',
    graph: 'figS9-structure-cut.json',
    title: 'Structure fits along a cut',
    shows:
      "The small-box quasi-binary model (fit.structure: X–X, Zr–Zr and Zr–X FCC phases, PDFgui-style) fitted to G(r) at the positions of the middle scan row only (map.cut's positions as fit.structure's mask): the fitted curves as a waterfall, with the cut marked on r₁max; the pair fractions Zr–Zr, Zr–X and X–X (normalised scales), α, the Zr–X lattice parameter and Rw along the cut.",
    panels: [
      { node: 'structure', field: 'fit', kind: 'waterfall', with: 'r1.position' },
      { node: 'cutZrZr', field: 'profile' },
      { node: 'cutZrX', field: 'profile' },
      { node: 'cutXX', field: 'profile' },
      { node: 'cutAlpha', field: 'profile' },
      { node: 'cutAZrX', field: 'profile' },
      { node: 'cutRw', field: 'profile' },
    ],
  },
  {
    id: 'figS10',
    label: 'Fig. S10',
    graph: 'figS10-partials.json',
    title: "The structure model's partial PDFs",
    shows:
      'Reference partials Zr–Zr, Zr–X and X–X per unit pair fraction, as they enter the electron G(r) over the data band (Q 0.1–8.1 Å⁻¹): what decompose.assign unmixes the NMF components with and model.response sums.',
    panels: [{ node: 'partials', kind: 'series' }],
  },
];
