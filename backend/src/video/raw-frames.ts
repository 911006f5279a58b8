/**
 * Cuts a byte stream of packed raw frames (ffmpeg's rawvideo output) into one buffer per frame, however the pipe
 * splits it: each byte is copied once, straight into its frame's own buffer (a frame is handed on and kept, so
 * buffers are never reused).
 */
export class RawFrameAssembler {
  #frame: Buffer | undefined;
  #filled = 0;

  constructor(private readonly onFrame: (data: Uint8Array) => void) {}

  /** Adds a chunk of the stream; `frameBytes` is the size of one frame. */
  push(chunk: Buffer, frameBytes: number): void {
    let off = 0;
    while (off < chunk.length) {
      this.#frame ??= Buffer.allocUnsafeSlow(frameBytes);
      const n = Math.min(frameBytes - this.#filled, chunk.length - off);
      chunk.copy(this.#frame, this.#filled, off, off + n);
      this.#filled += n;
      off += n;
      if (this.#filled === frameBytes) {
        const frame = this.#frame;
        this.#frame = undefined;
        this.#filled = 0;
        this.onFrame(new Uint8Array(frame.buffer, frame.byteOffset, frameBytes));
      }
    }
  }
}
