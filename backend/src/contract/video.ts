/** The video store and recording index contracts: what recording, clips and retention need from storage. */

/** Metadata of one stored object. */
export interface StoredObjectInfo {
  key: string;
  bytes: number;
  /** Last modification, ms since the epoch. */
  modified: number;
}

/** Capacity of the medium behind a store, when it can tell. */
export interface StoreCapacity {
  totalBytes: number;
  freeBytes: number;
}

/**
 * Where recorded segments live. Keys are slash-separated relative names ("<camera>/<day>/<start>.mp4").
 * Embedded: local disk. Cluster: HDFS (WebHDFS). Every implementation passes the same contract test suite.
 */
export interface VideoStore {
  /** Moves (or uploads) a finished local file into the store under `key`; the local file is gone afterwards. */
  put(key: string, localFile: string): Promise<StoredObjectInfo>;
  /** Objects whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<StoredObjectInfo[]>;
  /** Reads an object as a stream; rejects when it does not exist. */
  open(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** Deletes an object; deleting a missing key is not an error. Resolves to the bytes freed. */
  delete(key: string): Promise<number>;
  /** Metadata of an object, or undefined when it does not exist. */
  stat(key: string): Promise<StoredObjectInfo | undefined>;
  /** A local file path for the object when the store is a local disk (lets ffmpeg read it directly). */
  localPath?(key: string): string | undefined;
  /** Size and free space of the medium, when known. */
  capacity?(): Promise<StoreCapacity | undefined>;
}

/** Why footage is missing for an interval. */
export type GapCause = 'camera down' | 'backend stopped' | 'disk full' | 'recording off';

/** One recorded segment in the index. */
export interface SegmentRecord {
  id: number;
  cameraId: string;
  /** Wall-clock start and end, ms since the epoch. */
  start: number;
  end: number;
  bytes: number;
  /** Key in the video store. */
  key: string;
}

/** An interval without recording. */
export interface GapRecord {
  cameraId: string;
  start: number;
  end: number;
  cause: GapCause;
  detail?: string;
}

/** A range of footage protected from retention (a retained event, an exported clip). */
export interface HoldRecord {
  id: string;
  cameraId: string;
  from: number;
  to: number;
  reason: string;
  created: number;
}

/** One deletion made by retention. */
export interface RetentionLogEntry {
  ts: number;
  cameraId: string;
  start: number;
  end: number;
  bytes: number;
  reason: string;
}
