/** The most recent samples of a measurement (a time, a delay), for its median and percentiles. */
export class RecentSamples {
  readonly #values: number[] = [];

  /** Keeps the last `size` samples. */
  constructor(private readonly size = 200) {}

  add(value: number): void {
    this.#values.push(value);
    if (this.#values.length > this.size) this.#values.shift();
  }

  /** Samples kept. */
  get count(): number {
    return this.#values.length;
  }

  /** The value under which a share `p` (0–1) of the kept samples lie; 0 without samples. */
  percentile(p: number): number {
    if (!this.#values.length) return 0;
    const s = [...this.#values].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
  }
}
