import type { Appearance } from '../contract/events.js';
import type { Box } from '../contract/media.js';
import type { RgbImage } from '../contract/detector.js';

/**
 * Parts of a body box the descriptor looks at, as fractions of the box (top, bottom). The head (top eighth) and
 * the feet, where the ground shows through, are left out: clothing is what another camera sees again.
 */
const PARTS: ReadonlyArray<readonly [number, number]> = [
  [0.12, 0.5],
  [0.5, 0.88],
];

/** Central share of the box's width used: the sides of a person's box are mostly background. */
const WIDTH_SHARE = 0.6;

/** Hue bins × saturation bins for coloured pixels, and value bins for grey ones. */
const HUE_BINS = 8;
const SAT_BINS = 3;
const GREY_BINS = 4;
/** Below this saturation or value a pixel's hue is noise: it counts by its brightness alone. */
const MIN_SAT = 0.18;
const MIN_VAL = 0.18;
/** Gradient orientation bins of the texture statistics. */
const ORIENT_BINS = 4;
/** Weight of the texture block against the colour block (both unit length before weighting); 0.5 and 0 measured lower top-1. */
const TEXTURE_WEIGHT = 1;
/** At most this many pixels sampled per part: the cost stays the same for a near and a far person. */
const MAX_SAMPLES = 2500;

const COLOUR_LEN = HUE_BINS * SAT_BINS + GREY_BINS;
const PART_LEN = COLOUR_LEN + ORIENT_BINS + 1;

/** Length of the appearance vector (version 1). */
export const APPEARANCE_LENGTH = PARTS.length * PART_LEN;

/** Smallest box side (pixels) worth describing: below it there are too few pixels to tell clothes apart. */
const MIN_SIDE = 8;

/**
 * The appearance descriptor of an object at `box` in `image`: for the upper and lower body, a hue × saturation
 * histogram of coloured pixels with a brightness histogram of grey ones (square-rooted, so cosine similarity is
 * the Bhattacharyya coefficient of the histograms), and texture statistics (gradient strength and its orientation
 * histogram). Unit length. Undefined for a box too small to describe. At most 2,500 pixels per part are sampled, so a
 * box costs under a millisecond however large (bench/appearance); it runs beside the snapshot, not on every frame.
 */
export function describeAppearance(image: RgbImage, box: Box): Appearance | undefined {
  const { width: W, height: H } = image;
  const x0 = Math.max(0, Math.floor(box[0] * W));
  const x1 = Math.min(W, Math.ceil(box[2] * W));
  const y0 = Math.max(0, Math.floor(box[1] * H));
  const y1 = Math.min(H, Math.ceil(box[3] * H));
  const bw = x1 - x0;
  const bh = y1 - y0;
  if (bw < MIN_SIDE || bh < MIN_SIDE) return undefined;
  const cx0 = x0 + Math.floor((bw * (1 - WIDTH_SHARE)) / 2);
  const cx1 = Math.max(cx0 + 2, x1 - Math.floor((bw * (1 - WIDTH_SHARE)) / 2));
  const vector: number[] = [];
  for (const [top, bottom] of PARTS) {
    const py0 = y0 + Math.floor(bh * top);
    const py1 = Math.max(py0 + 2, y0 + Math.floor(bh * bottom));
    vector.push(...describePart(image, cx0, Math.min(cx1, W - 1), py0, Math.min(py1, H - 1)));
  }
  return { v: 1, vector: normalise(vector).map(round) };
}

/** Colour histogram and texture statistics of one rectangle [x0, x1) × [y0, y1). */
function describePart(image: RgbImage, x0: number, x1: number, y0: number, y1: number): number[] {
  const { width: W, data } = image;
  const area = (x1 - x0) * (y1 - y0);
  const step = Math.max(1, Math.round(Math.sqrt(area / MAX_SAMPLES)));
  const colour = new Array<number>(COLOUR_LEN).fill(0);
  const orient = new Array<number>(ORIENT_BINS).fill(0);
  let gradSum = 0;
  let samples = 0;
  const grey = (x: number, y: number) => {
    const i = (y * W + x) * 3;
    return 0.299 * (data[i] as number) + 0.587 * (data[i + 1] as number) + 0.114 * (data[i + 2] as number);
  };
  for (let y = y0; y < y1; y += step) {
    for (let x = x0; x < x1; x += step) {
      const i = (y * W + x) * 3;
      const r = (data[i] as number) / 255;
      const g = (data[i + 1] as number) / 255;
      const b = (data[i + 2] as number) / 255;
      const max = Math.max(r, g, b);
      const min = Math.min(r, g, b);
      const v = max;
      const s = max === 0 ? 0 : (max - min) / max;
      if (s < MIN_SAT || v < MIN_VAL) {
        colour[HUE_BINS * SAT_BINS + Math.min(GREY_BINS - 1, Math.floor(v * GREY_BINS))]! += 1;
      } else {
        let h: number;
        const d = max - min;
        if (max === r) h = ((g - b) / d + 6) % 6;
        else if (max === g) h = (b - r) / d + 2;
        else h = (r - g) / d + 4;
        const hb = Math.min(HUE_BINS - 1, Math.floor((h / 6) * HUE_BINS));
        const sb = Math.min(SAT_BINS - 1, Math.floor(((s - MIN_SAT) / (1 - MIN_SAT)) * SAT_BINS));
        colour[hb * SAT_BINS + sb]! += 1;
      }
      // Texture: central differences inside the part (the part's own border pixels have no neighbour pair).
      if (x > x0 && x < x1 - 1 && y > y0 && y < y1 - 1) {
        const gx = grey(x + 1, y) - grey(x - 1, y);
        const gy = grey(x, y + 1) - grey(x, y - 1);
        const mag = Math.sqrt(gx * gx + gy * gy);
        gradSum += mag;
        // Orientation modulo 180°: an edge is the same edge whichever side is brighter.
        const angle = (Math.atan2(gy, gx) + Math.PI) % Math.PI;
        orient[Math.min(ORIENT_BINS - 1, Math.floor((angle / Math.PI) * ORIENT_BINS))]! += mag;
      }
      samples++;
    }
  }
  const hist = normalise(colour.map((c) => Math.sqrt(c / Math.max(1, samples))));
  const orientation = normalise(orient.map((o) => Math.sqrt(o / Math.max(1e-9, gradSum))));
  // Mean gradient strength on a 0..1 scale (a strong edge between black and white is about 2 × 255).
  const strength = Math.min(1, gradSum / Math.max(1, samples) / 255);
  const texture = normalise([...orientation, strength]);
  return [...hist, ...texture.map((t) => t * TEXTURE_WEIGHT)];
}

function normalise(v: number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const n = Math.sqrt(sum);
  return n > 0 ? v.map((x) => x / n) : v;
}

/** Four decimals: enough for ranking, a third of the bytes on the bus and in the store. */
function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/**
 * Similarity of two appearance vectors, 0..1 (higher is closer): their cosine. Vectors of another version or length
 * are not comparable (0).
 */
export function appearanceSimilarity(a: Appearance, b: Appearance): number {
  if (a.v !== b.v || a.vector.length !== b.vector.length) return 0;
  return cosine(a.vector, b.vector);
}

/** Cosine of two vectors of equal length, clamped to 0..1 (appearance vectors have no negative components). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return Math.min(1, Math.max(0, dot / Math.sqrt(na * nb)));
}

/** Options of a track's averaged appearance (the defaults are what the event lifecycle uses). */
export interface AppearanceAverageOptions {
  /** Smallest detection score of a sample: a weak detection is often a part of a person or two people. */
  minScore?: number;
  /** Most samples per track: the cost of a long track stays that of a short one. */
  maxSamples?: number;
  /** Least time between two samples, ms: consecutive frames look alike, spread samples add views. */
  everyMs?: number;
  /** Margin (share of the frame) a box must keep from every edge: a box cut by the edge shows part of a person. */
  edgeMargin?: number;
  describe?: (image: RgbImage, box: Box) => Appearance | undefined;
}

/**
 * The appearance of a track averaged over the frames it is seen well in: one frame's look can be of the wrong person
 * (the tracker swapped two people where they crossed) or half hidden; the mean of up to `maxSamples` views spread over
 * the track is steadier. Samples are taken at most every `everyMs`, of boxes scored at least `minScore` and clear of
 * the frame's edges; the value is the mean of the unit descriptors, made unit length again.
 */
export class AppearanceAverage {
  readonly #minScore: number;
  readonly #maxSamples: number;
  readonly #everyMs: number;
  readonly #edge: number;
  readonly #describe: (image: RgbImage, box: Box) => Appearance | undefined;
  #sum: number[] | undefined;
  #v = 0;
  #count = 0;
  #lastTs = -Infinity;

  constructor(options: AppearanceAverageOptions = {}) {
    this.#minScore = options.minScore ?? 0.6;
    this.#maxSamples = options.maxSamples ?? 20;
    this.#everyMs = options.everyMs ?? 500;
    this.#edge = options.edgeMargin ?? 0.01;
    this.#describe = options.describe ?? describeAppearance;
  }

  /** Samples made so far. */
  get samples(): number {
    return this.#count;
  }

  /** Whether a view at `ts` of `box` scored `score` would be sampled (call before decoding anything for it). */
  wants(box: Box, score: number, ts: number): boolean {
    if (this.#count >= this.#maxSamples || ts - this.#lastTs < this.#everyMs) return false;
    if (score < this.#minScore) return false;
    const m = this.#edge;
    return box[0] > m && box[1] > m && box[2] < 1 - m && box[3] < 1 - m;
  }

  /** Adds the view of `box` in `image` when it is wanted; true when it was sampled. */
  add(image: RgbImage, box: Box, score: number, ts: number): boolean {
    if (!this.wants(box, score, ts)) return false;
    const a = this.#describe(image, box);
    if (!a) return false;
    if (!this.#sum || this.#sum.length !== a.vector.length || this.#v !== a.v) {
      this.#sum = new Array<number>(a.vector.length).fill(0);
      this.#v = a.v;
      this.#count = 0;
    }
    for (let i = 0; i < a.vector.length; i++) this.#sum[i]! += a.vector[i] as number;
    this.#count++;
    this.#lastTs = ts;
    return true;
  }

  /** The mean appearance so far (unit length), or undefined before the first sample. */
  value(): Appearance | undefined {
    if (!this.#sum || this.#count === 0) return undefined;
    return { v: this.#v as Appearance['v'], vector: normalise(this.#sum).map(round) };
  }
}
