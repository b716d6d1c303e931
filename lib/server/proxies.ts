/**
 * Trusted proxy entries (IP addresses and CIDR ranges from ATSAUTH_SERVER_TRUSTED_PROXIES):
 * the BlockList that matches them, and a check whether they cover every address of a
 * family, which would let any client revoke any user's tokens.
 */

import { BlockList, isIP } from 'node:net';

/** Builds the BlockList that matches the trusted proxy entries of a configuration. */
export function createProxyList(proxies: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of proxies) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }

  return list;
}

function parseIpv4(text: string): bigint {
  return text.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

/** Parses a valid IPv6 address, with `::` and an optional dotted IPv4 tail, into 128 bits. */
function parseIpv6(text: string): bigint {
  let address = text.split('%')[0] ?? '';
  const lastColon = address.lastIndexOf(':');
  const tail = address.slice(lastColon + 1);
  if (tail.includes('.')) {
    const ipv4 = parseIpv4(tail);
    const high = (ipv4 >> 16n).toString(16);
    const low = (ipv4 & 0xffffn).toString(16);
    address = `${address.slice(0, lastColon + 1)}${high}:${low}`;
  }

  const [head = '', rest] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  const groups = rest === undefined ? headGroups : [...headGroups, ...zeros, ...restGroups];

  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

interface Range {
  first: bigint;
  last: bigint;
}

function toRange(address: string, prefix: number, bits: number): Range {
  const hostBits = BigInt(bits - prefix);
  const value = bits === 32 ? parseIpv4(address) : parseIpv6(address);
  const first = (value >> hostBits) << hostBits;

  return { first, last: first + (1n << hostBits) - 1n };
}

/** Returns whether the ranges together cover every value from 0 to 2^bits - 1. */
function coversAll(ranges: Range[], bits: number): boolean {
  const sorted = ranges.toSorted((a, b) => {
    if (a.first === b.first) return 0;

    return a.first < b.first ? -1 : 1;
  });
  let next = 0n;
  for (const range of sorted) {
    if (range.first > next) return false;
    if (range.last + 1n > next) next = range.last + 1n;
  }

  return next === 1n << BigInt(bits);
}

// BlockList matches IPv4 addresses against IPv6 rules through ::ffff:0:0/96, the
// IPv4-mapped addresses (RFC 4291, section 2.5.5.2), so such rules trust IPv4 clients too.
const MAPPED_FIRST = 0xffffn << 32n;
const MAPPED_LAST = MAPPED_FIRST + 0xffff_ffffn;

function toMappedIpv4Range(range: Range): Range | undefined {
  const first = range.first > MAPPED_FIRST ? range.first : MAPPED_FIRST;
  const last = range.last < MAPPED_LAST ? range.last : MAPPED_LAST;

  return first > last ? undefined : { first: first - MAPPED_FIRST, last: last - MAPPED_FIRST };
}

/**
 * Returns the address families, "IPv4" or "IPv6", of which the entries (validated IP
 * addresses or address/prefix ranges) cover every address, such as with 0.0.0.0/0.
 */
export function findFullyTrustedFamilies(proxies: readonly string[]): string[] {
  const ranges = new Map<number, Range[]>([
    [4, []],
    [6, []],
  ]);
  for (const entry of proxies) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address.split('%')[0] ?? '');
    const bits = family === 6 ? 128 : 32;
    ranges.get(family)?.push(toRange(address, prefix === undefined ? bits : Number(prefix), bits));
  }

  const ipv4 = ranges.get(4) ?? [];
  for (const range of ranges.get(6) ?? []) {
    const mapped = toMappedIpv4Range(range);
    if (mapped !== undefined) ipv4.push(mapped);
  }

  const families: string[] = [];
  if (coversAll(ipv4, 32)) families.push('IPv4');
  if (coversAll(ranges.get(6) ?? [], 128)) families.push('IPv6');

  return families;
}
