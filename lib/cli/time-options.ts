/**
 * Times and durations read from options and environment variables, each error naming
 * where the value came from.
 */

import { AtsAuthError } from '../errors.ts';

/** Longest time limit, in seconds: Node timers hold at most 2^31 - 1 milliseconds. */
export const MAX_TIMEOUT_SECONDS = 2_147_483;

/**
 * Reads a time limit in seconds from an option or variable: a decimal number above 0 and
 * at most MAX_TIMEOUT_SECONDS, rounded up to whole milliseconds. Errors name `origin`.
 */
export function parseSeconds(value: string, origin: string): number {
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw new AtsAuthError(
      'ERR_USAGE',
      `Invalid ${origin} "${value}": expected a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}`,
    );
  }

  return Math.ceil(seconds * 1000) / 1000;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** Parses `--now`: NumericDate seconds, or ISO 8601 with a time zone when it has a time. */
export function parseTime(value: string, origin: string): number {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);

  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value)) {
    throw new AtsAuthError('ERR_USAGE', `Invalid ${origin} "${value}": add a time zone, such as Z`);
  }

  const milliseconds = ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(milliseconds)) {
    throw new AtsAuthError(
      'ERR_USAGE',
      `Invalid ${origin} "${value}": expected NumericDate seconds such as 1767225600 ` +
        'or ISO 8601 such as 2026-01-01T00:00:00Z',
    );
  }

  return milliseconds / 1000;
}

/** Parses a number of seconds that may be 0, naming the option on error. */
export function parseDurationSeconds(value: string, origin: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new AtsAuthError(
      'ERR_USAGE',
      `Invalid ${origin} "${value}": expected a number of seconds, 0 or more`,
    );
  }

  return seconds;
}
