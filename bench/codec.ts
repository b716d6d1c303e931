/**
 * Micro-benchmark of the HS256 codec against a raw baseline measured in the same process.
 * The baseline does the minimum work of each operation with node:crypto and JSON directly,
 * without the codec's checks. Prints operations per second, the median codec/baseline
 * ratio over the rounds, and the target for each ratio.
 *
 * Usage: node bench/codec.ts [--rounds 7] [--ms 300]
 */

import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';

import { encodeBase64Url } from '../lib/jwt/base64url.ts';
import { createHs256Key, signHs256, verifyHs256 } from '../lib/jwt/jws.ts';
import type { JsonObject } from '../lib/jwt/jws.ts';

interface Case {
  name: string;
  /** Minimum codec/baseline throughput ratio, or undefined for a row shown for reference. */
  target: number | undefined;
  codec: () => unknown;
  baseline: () => unknown;
}

const HEADER_SEGMENT = encodeBase64Url('{"alg":"HS256","typ":"JWT"}');

/** Verifies with the minimum work: split, HMAC, constant-time compare, payload JSON. */
function verifyRaw(token: string, key: KeyObject): unknown {
  const firstDot = token.indexOf('.');
  const secondDot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(secondDot + 1), 'base64url');
  const expected = createHmac('sha256', key).update(token.slice(0, secondDot)).digest();
  if (signature.byteLength !== expected.byteLength || !timingSafeEqual(expected, signature)) {
    throw new Error('Baseline signature mismatch');
  }

  return JSON.parse(Buffer.from(token.slice(firstDot + 1, secondDot), 'base64url').toString());
}

/** Signs with the minimum work: JSON, base64url and HMAC under the fixed header. */
function signRaw(payload: JsonObject, key: KeyObject): string {
  const payloadSegment = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signingInput = `${HEADER_SEGMENT}.${payloadSegment}`;

  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

function buildCases(): Case[] {
  const key = createHs256Key('bench-secret-0123456789abcdef0123456789');
  const iat = 1_900_000_000.016732;
  const payload = { iss: 'ats.auth', sub: 'marco', iat, exp: iat + 3600, jti: 'c'.repeat(32) };
  const token = signHs256(payload, key);
  // A ':' inside a value makes the duplicate-name check take its slower path.
  const urlToken = signHs256({ ...payload, iss: 'https://auth.example.com/' }, key);
  const options = { nowSeconds: iat + 60 };

  return [
    {
      name: 'verify',
      target: 0.9,
      codec: () => verifyHs256(token, key, options),
      baseline: () => verifyRaw(token, key),
    },
    {
      name: 'sign',
      target: 0.9,
      codec: () => signHs256(payload, key),
      baseline: () => signRaw(payload, key),
    },
    {
      name: 'verify, URL in a claim',
      target: undefined,
      codec: () => verifyHs256(urlToken, key, options),
      baseline: () => verifyRaw(urlToken, key),
    },
  ];
}

/** Slice length: codec and baseline alternate this often within a round. */
const SLICE_MS = 20;

let sink: unknown;

/** Operations run and nanoseconds spent, summed over slices. */
interface Tally {
  operations: number;
  ns: number;
}

/** Runs `run` in batches for about `durationMs` and adds the work to `tally`. */
function runSlice(run: () => unknown, durationMs: number, tally: Tally): void {
  const batch = 200;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let index = 0; index < batch; index++) sink = run();
    tally.operations += batch;
    now = process.hrtime.bigint();
  }
  tally.ns += Number(now - start);
}

/**
 * Measures codec and baseline for about `durationMs` each, alternating in short slices
 * and in both orders, so that a change in machine load hits both sides alike.
 */
function measureRound(testCase: Case, durationMs: number): { codec: number; baseline: number } {
  const codec = { operations: 0, ns: 0 };
  const baseline = { operations: 0, ns: 0 };
  const slices = Math.max(1, Math.round(durationMs / SLICE_MS));
  for (let slice = 0; slice < slices; slice++) {
    const codecFirst = slice % 2 === 0;
    if (codecFirst) runSlice(testCase.codec, SLICE_MS, codec);
    runSlice(testCase.baseline, SLICE_MS, baseline);
    if (!codecFirst) runSlice(testCase.codec, SLICE_MS, codec);
  }

  return {
    codec: codec.operations / (codec.ns / 1e9),
    baseline: baseline.operations / (baseline.ns / 1e9),
  };
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);

  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function describeTarget(ratio: number, target: number | undefined): string {
  if (target === undefined) return '(reference, no target)';

  return ratio >= target ? `>= ${target} ok` : `< ${target} MISSED`;
}

function formatRate(rate: number): string {
  return `${Math.round(rate).toLocaleString('en-US')}/s`.padStart(12);
}

function main(): void {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '7' }, ms: { type: 'string', default: '300' } },
  });
  const rounds = Number(values.rounds);
  const durationMs = Number(values.ms);
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(durationMs) || durationMs < 1) {
    throw new TypeError('--rounds and --ms must be positive integers');
  }

  const cpus = os.cpus();
  console.log(`CPU: ${cpus[0]?.model ?? 'unknown'} (${cpus.length} logical)`);
  console.log(`Node ${process.version}, ${os.platform()} ${os.arch()}`);
  console.log(`Load average at start: ${os.loadavg()[0]?.toFixed(2)} (1 min)`);
  console.log(
    `${rounds} rounds of ${durationMs} ms per side in ${SLICE_MS} ms slices, median shown\n`,
  );

  const cases = buildCases();
  for (const testCase of cases) measureRound(testCase, 100);

  let missed = 0;
  for (const testCase of cases) {
    const codecRates: number[] = [];
    const baselineRates: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const rates = measureRound(testCase, durationMs);
      codecRates.push(rates.codec);
      baselineRates.push(rates.baseline);
      ratios.push(rates.codec / rates.baseline);
    }

    const { name, target } = testCase;
    const ratio = median(ratios);
    if (target !== undefined && ratio < target) missed++;
    console.log(
      `${name.padEnd(24)} codec ${formatRate(median(codecRates))}` +
        `  baseline ${formatRate(median(baselineRates))}  ratio ${ratio.toFixed(3)}` +
        ` ${describeTarget(ratio, target)}`,
    );
  }

  console.log(missed === 0 ? '\nAll targets met' : `\n${missed} target(s) missed`);
}

main();
