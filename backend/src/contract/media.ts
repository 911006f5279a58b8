/** Analysis frames and detections: what flows from video ingest to detection and to live overlays. */

/** A decoded, scaled analysis frame. Pixels are packed RGB (3 bytes per pixel, row-major). */
export interface AnalysisFrame {
  cameraId: string;
  /** Wall-clock capture time, ms since the epoch. */
  ts: number;
  /** Increasing per camera stream session. */
  seq: number;
  width: number;
  height: number;
  format: 'rgb24';
  /** The frame's own pixels: producers never write to them after publishing, so consumers may keep them. */
  data: Uint8Array;
}

/** An axis-aligned box in normalised coordinates (0..1 of the frame width/height): x1, y1, x2, y2. */
export type Box = [number, number, number, number];

/** One detected object in one frame. */
export interface Detection {
  label: string;
  score: number;
  box: Box;
  /** Track id once the tracker has associated it. */
  trackId?: string;
  /** Zones the box's bottom centre is in. */
  zones?: string[];
}

/** Detections of one analysed frame; published on `vigil.detections.v1` for live overlays. */
export interface FrameDetections {
  cameraId: string;
  /** Capture time of the frame the boxes belong to (matches the video's wall-clock time). */
  ts: number;
  width: number;
  height: number;
  detections: Detection[];
}
