// DNS names as knet handles them: canonical form (lower case, no trailing dot), the
// checks a resolver applies before sending a query, reverse names for PTR, and the
// dashed-IP labels CoreDNS uses for endpoints and pods.
import { familyOf, ipToBigInt, parseIP, type IP } from '../../model/ip.js';

/** The record types knet answers; ANY asks for all of them. */
export const RR_TYPES = ['A', 'AAAA', 'CNAME', 'SRV', 'PTR', 'TXT', 'SOA', 'NS'] as const;
export type RRType = (typeof RR_TYPES)[number];
export type QType = RRType | 'ANY';
export const QTYPES: readonly QType[] = [...RR_TYPES, 'ANY'];

export function parseQType(text: string): QType | undefined {
  const t = text.toUpperCase();
  return (QTYPES as readonly string[]).includes(t) ? (t as QType) : undefined;
}

/** `Foo.Example.COM.` -> `foo.example.com`; the root is ''. */
export function canonicalName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return UPPER.test(n) ? n.toLowerCase() : n; // most names already are; no copy then
}
const UPPER = /[A-Z]/;

/** The presentation form: always absolute, with one trailing dot. */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** True when `name` is `zone` or below it (both canonical). */
export function inZone(name: string, zone: string): boolean {
  if (zone === '') return true;
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === '.');
}

/**
 * What a stub resolver refuses to send: RFC 1035 limits (253 characters, 63 per label,
 * no empty label) and characters no DNS name in a cluster can hold. Returns the problem
 * and a hint, or null when the name can be asked.
 */
export function checkName(name: string): { message: string; hint: string } | null {
  if (name === '' || name === '.') {
    return { message: 'empty name', hint: 'give a name, e.g. kubernetes.default.svc.cluster.local' };
  }
  const body = name.endsWith('.') ? name.slice(0, -1) : name;
  if (body.length > 253) {
    return { message: `name is ${body.length} characters long; DNS allows at most 253`, hint: 'shorten the name' };
  }
  const labels = body.split('.');
  for (const label of labels) {
    if (label === '') {
      return { message: `"${name}" has an empty label (two dots in a row, or a leading dot)`, hint: 'remove the extra dot' };
    }
    if (label.length > 63) {
      return { message: `label "${label.slice(0, 20)}..." is ${label.length} characters long; DNS allows at most 63`, hint: 'Kubernetes names that become labels (Service, namespace) are at most 63 characters' };
    }
    if (!/^[A-Za-z0-9_*-]+$/.test(label)) {
      return {
        message: `label "${label}" has characters a DNS name cannot carry`,
        hint: 'use letters, digits, "-" (and "_" for SRV labels such as _http._tcp); for an IP address use --type PTR',
      };
    }
  }
  return null;
}

/** `10.96.0.1` -> `1.0.96.10.in-addr.arpa`; IPv6 as 32 reversed nibbles under ip6.arpa. */
export function reverseName(ip: IP): string {
  if (familyOf(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const hex = ipToBigInt(ip).toString(16).padStart(32, '0');
  return `${[...hex].reverse().join('.')}.ip6.arpa`;
}

const OCTET = '(0|[1-9]\\d{0,2})';
const REVERSE_V4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}\\.in-addr\\.arpa$`);

/** The address a full reverse name stands for; undefined for partial or malformed names. */
export function addressFromReverse(name: string): IP | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const m = REVERSE_V4.exec(name);
    if (!m || +m[1]! > 255 || +m[2]! > 255 || +m[3]! > 255 || +m[4]! > 255) return undefined;
    return `${m[4]}.${m[3]}.${m[2]}.${m[1]}` as IP;
  }
  if (name.endsWith('.ip6.arpa')) {
    const labels = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (labels.length !== 32 || labels.some((l) => !/^[0-9a-f]$/.test(l))) return undefined;
    const hex = labels.reverse().join('');
    const groups = hex.match(/.{4}/g)!.join(':');
    return parseIP(groups);
  }
  return undefined;
}

/** True for names under in-addr.arpa or ip6.arpa. */
export function isReverse(name: string): boolean {
  return inZone(name, 'in-addr.arpa') || inZone(name, 'ip6.arpa');
}

/**
 * CoreDNS's system-assigned endpoint id: the IPv4 address with dashes, or the IPv6
 * text with ':' -> '-' and a '0' appended when it would end in '-'
 * (plugin/kubernetes endpointHostname).
 */
export function dashedIP(ip: IP): string {
  if (familyOf(ip) === 4) return ip.replaceAll('.', '-');
  const d = ip.replaceAll(':', '-');
  return d.endsWith('-') ? `${d}0` : d;
}

/**
 * The address a pod label names (`10-244-1-5`, `fd00--5`): IPv4 when it has exactly three
 * dashes and no `--`, else IPv6 (CoreDNS findPods).
 */
export function addressFromPodLabel(label: string): IP | undefined {
  const v4 = (label.match(/-/g)?.length ?? 0) === 3 && !label.includes('--');
  return parseIP(v4 ? label.replaceAll('-', '.') : label.replaceAll('-', ':'));
}
