import { isCorruptionWarning } from './ffmpeg-diagnostics.js';

/** How a connection's warnings are judged (the defaults suit cameras; tests pass their own). */
export interface InputDamageOptions {
  /**
   * After the first video of a connection, how long its warnings are part of starting up: the decoder starts before
   * the first keyframe ("non-existing PPS", "decode_slice_header error", "no frame!"), and the first packets carry
   * no or repeated timestamps ("Timestamps are unset", "Non-monotonous DTS … changing to 1").
   */
  startupGraceMs: number;
  /** The span over which damage is judged. */
  windowMs: number;
  /** Damage must show in at least this many different seconds of the span to be called damaged input. */
  minDamagedSeconds: number;
}

export const INPUT_DAMAGE_DEFAULTS: InputDamageOptions = {
  startupGraceMs: 5000,
  windowMs: 60_000,
  minDamagedSeconds: 3,
};

/**
 * Decides from ffmpeg's warnings whether a camera's input is damaged. Start-up noise of a connection is not
 * damage, and neither is one burst (one lost packet makes several lines at once): only damage that keeps coming
 * back, in several different seconds of the last minute, is shown to the operator.
 */
export class InputDamageMeter {
  readonly #o: InputDamageOptions;
  /** Seconds (ms since the epoch / 1000, floored) in which damage was seen. */
  #seconds: number[] = [];
  #firstVideoAt: number | undefined;

  constructor(options: Partial<InputDamageOptions> = {}) {
    this.#o = { ...INPUT_DAMAGE_DEFAULTS, ...options };
  }

  /** A new connection (or a restarted ffmpeg): damage seen before says nothing about it, and it starts up again. */
  connected(): void {
    this.#seconds = [];
    this.#firstVideoAt = undefined;
  }

  /** Video flows on this connection (called on every frame; only the first one counts). */
  video(now = Date.now()): void {
    this.#firstVideoAt ??= now;
  }

  /** Feeds one ffmpeg log line; true when it was counted as damage. */
  line(line: string, now = Date.now()): boolean {
    if (!isCorruptionWarning(line)) return false;
    if (this.#firstVideoAt === undefined || now - this.#firstVideoAt < this.#o.startupGraceMs) return false;
    const second = Math.floor(now / 1000);
    if (this.#seconds.at(-1) !== second) this.#seconds.push(second);
    return true;
  }

  /** In how many different seconds of the window damage was seen, when that is enough to call it damaged. */
  damagedSeconds(now = Date.now()): number | undefined {
    const from = Math.floor((now - this.#o.windowMs) / 1000);
    this.#seconds = this.#seconds.filter((s) => s > from);
    const n = this.#seconds.length;
    return n >= this.#o.minDamagedSeconds ? n : undefined;
  }
}
