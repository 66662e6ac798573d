// The names cert-manager gives the objects it creates, made deterministic: a
// CertificateRequest is `<certificate>-<revision>`, an Order `<request>-<hash of its
// spec>`, a Challenge `<order>-<hash of its spec>` (FNV-1a 32, decimal, as cert-manager
// hashes them), solver objects `cm-acme-http-solver-<5 characters>`.
import { fnv32a, randomSuffix } from '../../cluster/naming.js';

export function requestName(certificate: string, revision: number): string {
  return `${certificate}-${revision}`;
}

export function orderName(request: string, spec: unknown): string {
  return limitName(`${request}-${fnv32a(JSON.stringify(spec))}`);
}

export function challengeName(order: string, spec: unknown): string {
  return limitName(`${order}-${fnv32a(JSON.stringify(spec))}`);
}

export function solverName(challengeNamespace: string, challenge: string): string {
  return `cm-acme-http-solver-${randomSuffix(`${challengeNamespace}/${challenge}`)}`;
}

/** Label values must be at most 63 characters: cert-manager labels solvers with hashes. */
export function labelHash(text: string): string {
  return String(fnv32a(text));
}

/** Object names are at most 253 characters; cert-manager shortens the prefix, keeps the hash. */
function limitName(name: string): string {
  if (name.length <= 253) return name;
  const dash = name.lastIndexOf('-');
  return `${name.slice(0, 252 - (name.length - dash))}${name.slice(dash)}`;
}
