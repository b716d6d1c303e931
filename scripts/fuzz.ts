/**
 * Fuzzes the HS256 codec with seeded inputs from scripts/fuzz/inputs.ts. Only an original
 * token or one the fuzzer signed itself may verify. decodeJwt() and verifyHs256() must
 * agree with the independent model in scripts/fuzz/oracle.ts, and every failure must be an
 * AtsAuthError with a token code. The time report per length bucket shows time that grows
 * faster than length, without any timed assertion.
 *
 * Usage: node scripts/fuzz.ts [--seconds N | --count N] [--seed S] [--only INDEX]
 */

import { parseArgs } from 'node:util';

import { isAtsAuthError } from '../lib/errors.ts';
import type { ErrorCode } from '../lib/errors.ts';
import type { KeyObject } from 'node:crypto';

import { createHs256Key, decodeJwt, verifyHs256 } from '../lib/jwt/jws.ts';
import { buildCorpus, generateInput } from './fuzz/inputs.ts';
import type { Corpus, FuzzInput, InputKind } from './fuzz/inputs.ts';
import { decodeModel, isAcceptedHeader, isAcceptedPayload, isSameJson } from './fuzz/oracle.ts';
import { deriveSeed, Random } from './fuzz/random.ts';

/** Fixed verification time, so that the corpus stays valid on any date. */
const NOW = 1_900_000_000;
const MAX_FAILURES = 20;
const RETIME_RUNS = 5;
const DEFAULT_SECONDS = 30;
const BUCKET_LIMITS = [64, 256, 1024, 4096, 8192, Number.POSITIVE_INFINITY];

const TOKEN_CODES: ReadonlySet<ErrorCode> = new Set([
  'ERR_TOKEN_MALFORMED',
  'ERR_TOKEN_ALG',
  'ERR_TOKEN_SIGNATURE',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_NOT_YET_VALID',
  'ERR_TOKEN_CLAIM',
  'ERR_TOKEN_EXPIRES_SOON',
]);

/** How long to run: a number of inputs, a number of seconds, or one input index. */
export interface FuzzOptions {
  seed: number;
  count?: number;
  seconds?: number;
  only?: number;
}

/** An input that broke a property, with what is needed to run it again. */
export interface FuzzFailure {
  index: number;
  kind: InputKind;
  mutations: string[];
  problem: string;
  token: string;
}

/** Codec time of the inputs whose length falls below `limit` (and above the last one). */
export interface LengthBucket {
  limit: number;
  inputs: number;
  totalLength: number;
  totalNs: number;
  maxNs: number;
  slowestToken: string;
  slowestMutations: string[];
  /** The slowest input timed again, best of RETIME_RUNS, which filters out GC pauses. */
  slowestRetimedNs: number;
}

export interface FuzzReport {
  seed: number;
  inputs: number;
  elapsedSeconds: number;
  kinds: Map<InputKind, number>;
  outcomes: Map<string, number>;
  failures: FuzzFailure[];
  buckets: LengthBucket[];
}

type Outcome = { error: unknown; value?: undefined } | { error?: undefined; value: unknown };

function attempt(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    return { error };
  }
}

function describeError(error: unknown): string {
  if (isAtsAuthError(error)) return error.code;

  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Returns what is wrong with the codec's results for `input`, or undefined. */
function findProblem(input: FuzzInput, corpus: Corpus, decoded: Outcome, verified: Outcome) {
  if (decoded.error !== undefined && !isAtsAuthError(decoded.error, 'ERR_TOKEN_MALFORMED')) {
    return `decodeJwt() threw ${describeError(decoded.error)}`;
  }
  if (verified.error !== undefined) {
    const error = verified.error;
    if (!isAtsAuthError(error) || !TOKEN_CODES.has(error.code)) {
      return `verifyHs256() threw ${describeError(error)}`;
    }
  }

  const model = decodeModel(input.token);
  if (model === undefined && decoded.error === undefined) {
    return 'decodeJwt() accepted a token the model rejects';
  }
  if (model !== undefined && decoded.error !== undefined) {
    return `decodeJwt() rejected a token the model accepts: ${describeError(decoded.error)}`;
  }

  const value = decoded.value as { header: unknown; payload: unknown } | undefined;
  const sameJson =
    isSameJson(value?.header, model?.header) && isSameJson(value?.payload, model?.payload);
  if (!sameJson) return 'decodeJwt() returned another header or payload than the model';

  // Only the fuzzer's own signature makes a changed token genuine.
  const signed = input.kind === 'signed payload' || input.kind === 'signed header';
  const genuine = signed || corpus.tokens.includes(input.token);
  const shouldVerify =
    genuine &&
    model !== undefined &&
    isAcceptedHeader(model.header) &&
    isAcceptedPayload(model.payload, NOW);
  if (shouldVerify !== (verified.error === undefined)) {
    return shouldVerify
      ? `verifyHs256() rejected a valid token: ${describeError(verified.error)}`
      : 'verifyHs256() accepted a token it must reject';
  }

  return undefined;
}

function recordTime(buckets: LengthBucket[], input: FuzzInput, elapsedNs: number): void {
  const bucket = buckets.find(({ limit }) => input.token.length < limit) ?? buckets.at(-1);
  if (bucket === undefined) return;

  bucket.inputs++;
  bucket.totalLength += input.token.length;
  bucket.totalNs += elapsedNs;
  if (elapsedNs > bucket.maxNs) {
    bucket.maxNs = elapsedNs;
    bucket.slowestToken = input.token;
    bucket.slowestMutations = input.mutations;
  }
}

function timeCodec(token: string, key: KeyObject): number {
  const before = process.hrtime.bigint();
  attempt(() => decodeJwt(token));
  attempt(() => verifyHs256(token, key, { nowSeconds: NOW }));

  return Number(process.hrtime.bigint() - before);
}

/** Runs the fuzzer and returns its report, in which each codec failure is an entry. */
export function runFuzz(options: FuzzOptions): FuzzReport {
  const key = createHs256Key('fuzz-secret-0123456789abcdef0123456789');
  const corpus = buildCorpus(key, NOW);
  const report: FuzzReport = {
    seed: options.seed,
    inputs: 0,
    elapsedSeconds: 0,
    kinds: new Map(),
    outcomes: new Map(),
    failures: [],
    buckets: BUCKET_LIMITS.map((limit) => ({
      limit,
      inputs: 0,
      totalLength: 0,
      totalNs: 0,
      maxNs: 0,
      slowestToken: '',
      slowestMutations: [],
      slowestRetimedNs: 0,
    })),
  };

  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round((options.seconds ?? 0) * 1e9));
  const first = options.only ?? 0;
  const end = options.only === undefined ? (options.count ?? Number.POSITIVE_INFINITY) : first + 1;

  for (let index = first; index < end; index++) {
    const checkClock = options.seconds !== undefined && index % 64 === 0;
    if (checkClock && process.hrtime.bigint() > deadline) break;

    const input = generateInput(new Random(deriveSeed(options.seed, index)), corpus);
    const before = process.hrtime.bigint();
    const decoded = attempt(() => decodeJwt(input.token));
    const verified = attempt(() => verifyHs256(input.token, key, { nowSeconds: NOW }));
    recordTime(report.buckets, input, Number(process.hrtime.bigint() - before));

    report.inputs++;
    report.kinds.set(input.kind, (report.kinds.get(input.kind) ?? 0) + 1);
    const outcome = verified.error === undefined ? 'verified' : describeError(verified.error);
    report.outcomes.set(outcome, (report.outcomes.get(outcome) ?? 0) + 1);

    const problem = findProblem(input, corpus, decoded, verified);
    if (problem !== undefined && report.failures.length < MAX_FAILURES) {
      const { kind, mutations, token } = input;
      report.failures.push({ index, kind, mutations, problem, token });
    }
  }

  report.elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const bucket of report.buckets) {
    if (bucket.inputs === 0) continue;

    const runs = Array.from({ length: RETIME_RUNS }, () => timeCodec(bucket.slowestToken, key));
    bucket.slowestRetimedNs = Math.min(...runs);
  }

  return report;
}

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

function printBucket(bucket: LengthBucket, lower: number): void {
  const upper = Number.isFinite(bucket.limit) ? `${bucket.limit - 1}` : 'more';
  const columns = [
    `${lower}-${upper}`.padEnd(12),
    formatCount(bucket.inputs).padStart(8),
    (bucket.totalNs / bucket.inputs / 1000).toFixed(1).padStart(9),
    (bucket.totalNs / Math.max(1, bucket.totalLength)).toFixed(1).padStart(8),
    (bucket.maxNs / 1000).toFixed(1).padStart(8),
    (bucket.slowestRetimedNs / 1000).toFixed(1).padStart(17),
    ` ${bucket.slowestToken.length} chars: ${bucket.slowestMutations.join(', ')}`,
  ];
  console.log(`  ${columns.join(' ')}`);
}

function printReport(report: FuzzReport): void {
  const rate = Math.round(report.inputs / report.elapsedSeconds);
  console.log(
    `Tried ${formatCount(report.inputs)} inputs in ${report.elapsedSeconds.toFixed(1)} s ` +
      `(${formatCount(rate)}/s), seed ${report.seed}`,
  );
  for (const [kind, count] of report.kinds) {
    console.log(`  ${kind.padEnd(16)} ${formatCount(count)}`);
  }

  console.log('verifyHs256() outcomes:');
  for (const [outcome, count] of [...report.outcomes].toSorted((a, b) => b[1] - a[1])) {
    console.log(`  ${outcome.padEnd(24)} ${formatCount(count)}`);
  }

  console.log('Codec time per input by token length (decodeJwt + verifyHs256):');
  console.log(
    '  length        inputs   mean µs  ns/char   max µs  slowest again µs  slowest input',
  );
  let lower = 0;
  for (const bucket of report.buckets) {
    if (bucket.inputs > 0) printBucket(bucket, lower);
    lower = bucket.limit;
  }

  if (report.failures.length === 0) {
    console.log('No failures');
    return;
  }

  console.log(`${report.failures.length} failure(s), the first ${MAX_FAILURES} at most:`);
  for (const failure of report.failures) {
    console.log(
      `  input ${failure.index} (${failure.kind}: ${failure.mutations.join(', ')}):\n` +
        `    ${failure.problem}\n` +
        `    ${JSON.stringify(failure.token.slice(0, 160))} (${failure.token.length} chars)\n` +
        `    rerun: node scripts/fuzz.ts --seed ${report.seed} --only ${failure.index}`,
    );
  }
}

/** Reads a numeric option that must be at least `minimum`, and whole unless `fractional`. */
function readNumber(
  value: string | undefined,
  option: string,
  minimum: number,
  fractional = false,
): number | undefined {
  if (value === undefined) return undefined;

  const number = Number(value);
  const valid = Number.isFinite(number) && number >= minimum;
  if (valid && (fractional || Number.isInteger(number))) return number;

  const kind = fractional ? 'a number' : 'a whole number';
  const quoted = JSON.stringify(value);
  throw new TypeError(`Invalid ${option} ${quoted}: expected ${kind} >= ${minimum}`);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      only: { type: 'string' },
    },
  });

  const seed = readNumber(values.seed, '--seed', 0) ?? Math.floor(Math.random() * 2 ** 32);
  if (seed >= 2 ** 32) throw new TypeError(`Invalid --seed ${seed}: expected less than 2^32`);
  const count = readNumber(values.count, '--count', 1);
  const only = readNumber(values.only, '--only', 0);
  let seconds = readNumber(values.seconds, '--seconds', 0.001, true);
  if (seconds === undefined && count === undefined) seconds = DEFAULT_SECONDS;

  let scope = `input ${only}`;
  if (only === undefined) scope = count === undefined ? `${seconds} s` : `${count} inputs`;
  console.log(`Fuzzing the HS256 codec with seed ${seed}: ${scope}`);

  const report = runFuzz({
    seed,
    ...(count === undefined ? {} : { count }),
    ...(seconds === undefined ? {} : { seconds }),
    ...(only === undefined ? {} : { only }),
  });
  printReport(report);
  process.exitCode = report.failures.length === 0 ? 0 : 1;
}

if (import.meta.main) main();
