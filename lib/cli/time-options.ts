/**
 * Times and durations read from options and environment variables, each error naming
 * where the value came from.
 */

import { AtsAuthError } from '../errors.ts';

/** Maximum time limit, in seconds, because Node timers accept at most 2^31 - 1 milliseconds. */
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

/**
 * Returns whether the date part of an ISO 8601 text names a real day. Date.parse rolls
 * 2026-02-30 over to 2 March instead of rejecting it.
 */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1));

  return date.getUTCFullYear() === year && date.getUTCMonth() + 1 === month && date.getUTCDate() === day;
}

/** Parses `--now`: NumericDate seconds, or ISO 8601 with a time zone when it has a time. */
export function parseTime(value: string, origin: string): number {
  if (/^-?\d{1,12}(\.\d+)?$/.test(value)) return Number(value);

  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value)) {
    throw new AtsAuthError('ERR_USAGE', `Invalid ${origin} "${value}": add a time zone, such as Z`);
  }

  const milliseconds = ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(milliseconds) || !isCalendarDate(value)) {
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
  const seconds = /^\d{1,12}(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(seconds)) {
    throw new AtsAuthError(
      'ERR_USAGE',
      `Invalid ${origin} "${value}": expected a number of seconds, 0 or more`,
    );
  }

  return seconds;
}
