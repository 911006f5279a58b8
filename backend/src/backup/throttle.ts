import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Limits the bytes per second that pass through (a token bucket shared by every stream of one job, so parallel
 * uploads together stay under the limit). A rate of 0 means unlimited.
 */
export class TokenBucket {
  #tokens: number;
  #last = performance.now();
  readonly burst: number;

  constructor(readonly bytesPerSecond: number) {
    this.burst = Math.max(64 * 1024, Math.floor(bytesPerSecond / 4));
    this.#tokens = this.burst;
  }

  /** Waits until `n` bytes (at most one burst) may pass. */
  async take(n: number, signal?: AbortSignal): Promise<void> {
    if (this.bytesPerSecond <= 0) return;
    for (;;) {
      const now = performance.now();
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSecond);
      this.#last = now;
      if (this.#tokens >= n) {
        this.#tokens -= n;
        return;
      }
      const waitMs = ((n - this.#tokens) / this.bytesPerSecond) * 1000;
      await sleep(Math.max(1, Math.ceil(waitMs)), undefined, { signal });
    }
  }
}

/** A pass-through stream that waits for tokens before letting bytes through. */
export class ThrottleTransform extends Transform {
  constructor(
    readonly bucket: TokenBucket,
    readonly signal?: AbortSignal,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    void (async () => {
      for (let off = 0; off < chunk.length; off += this.bucket.burst) {
        const piece = chunk.subarray(off, Math.min(chunk.length, off + this.bucket.burst));
        await this.bucket.take(piece.length, this.signal);
        this.push(piece);
      }
    })().then(() => done(), done);
  }
}

/** A pass-through stream that computes the SHA-256 and counts the bytes of what passes. */
export class HashingTransform extends Transform {
  readonly #hash: Hash = createHash('sha256');
  bytes = 0;

  constructor(readonly onBytes?: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    done(null, chunk);
  }

  /** Hex digest; call once the stream has ended. */
  digest(): string {
    return this.#hash.digest('hex');
  }
}
