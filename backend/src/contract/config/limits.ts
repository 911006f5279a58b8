import { z } from 'zod';

/**
 * Upper bounds of every string, list and number the configuration and the API accept. An unbounded value is a way to
 * exhaust memory, disk or an operating-system limit (a 200,000-character camera URL once exceeded the argument
 * size limit of a child process on every start).
 */
export const Limits = {
  /** URLs of cameras and services. */
  url: 2048,
  /** File and folder paths. */
  path: 4096,
  /** Names and titles shown in the UI. */
  name: 200,
  /** Free text such as notes and reasons. */
  note: 10_000,
  /** Identifiers, user names, environment variable names, host names. */
  token: 256,
  /** A password or key entered through the API. */
  secret: 1024,
  /** Short lists (tags, labels, brokers, filters). */
  list: 100,
  /** Cameras of one installation. */
  cameras: 1000,
  /** Times in ms since the epoch (the largest a JavaScript date can hold). */
  time: 8_640_000_000_000_000,
} as const;

/** A string of at most `max` characters. */
export const boundedString = (max: number): z.ZodString => z.string().max(max, `at most ${max} characters`);

/** Name of an environment variable that holds a secret. */
export const EnvVarName = z
  .string()
  .max(Limits.token, `at most ${Limits.token} characters`)
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as VIGIL_CAM_DOCK_PASSWORD');
