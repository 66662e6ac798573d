// What the API server refuses in a pod spec beyond its ports and probes (ValidatePodSpec):
// duplicate container names, env var names, dnsConfig's limits and names, hostAliases.
// It reads the wire fields itself and reports only bad values (a field of the wrong type
// is the decoder's to report), so it can sit beside any decoder of those fields.
import type { Decoder } from './decoder.js';
import { parseIP } from './ip.js';
import { dns1123Subdomain } from './names.js';
import type { FieldPath } from './source.js';

export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCHES = 32;
export const MAX_DNS_SEARCH_CHARS = 2048;

/** Every check of this file, in the API server's order. */
export function validatePodSpecExtras(d: Decoder, spec: FieldPath): void {
  validateContainerNames(d, spec);
  for (const list of ['containers', 'initContainers']) {
    eachItem(d, [...spec, list], (c) => validateEnvNames(d, c));
  }
  validateDnsConfig(d, spec);
  validateHostAliases(d, spec);
}

function eachItem(d: Decoder, path: FieldPath, f: (item: FieldPath, value: unknown) => void): void {
  const v = d.get(path);
  if (Array.isArray(v)) v.forEach((x, i) => f([...path, i], x));
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Container names are unique across containers and initContainers (validateContainers,
 * validateInitContainers): the duplicate is reported where it appears the second time,
 * regular containers first.
 */
export function validateContainerNames(d: Decoder, spec: FieldPath): void {
  const seen = new Map<string, FieldPath>();
  for (const list of ['containers', 'initContainers']) {
    eachItem(d, [...spec, list], (c) => {
      const name = str(d.get([...c, 'name']));
      if (!name) return;
      const first = seen.get(name);
      if (first) {
        const firstText = first.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');
        d.duplicate([...c, 'name'], name, `container names must be unique in a pod, init containers included (${firstText} has it): rename one`);
      } else seen.set(name, [...c, 'name']);
    });
  }
}

/**
 * Env var names as Kubernetes 1.34 validates them (KEP-4369, RelaxedEnvironmentVariableValidation:
 * alpha 1.30, beta and on by default 1.32, GA 1.34): printable ASCII other than '='. The
 * older rule (C identifiers plus '-' and '.', not starting with a digit) is a warning:
 * API servers before 1.32 refuse such names, and shells cannot read them.
 */
export function envVarNameErrors(name: string): string[] {
  if (name.length === 0) return ['environment variable name must be non-empty'];
  return /^[\x20-\x3c\x3e-\x7e]+$/.test(name) ? [] : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

const STRICT_ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function validateEnvNames(d: Decoder, container: FieldPath): void {
  const seen = new Set<string>();
  eachItem(d, [...container, 'env'], (e, value) => {
    if (value === null || typeof value !== 'object') return;
    const name = str(d.get([...e, 'name']));
    if (name === null) {
      if (!d.has([...e, 'name'])) d.required([...e, 'name'], 'every env entry needs a name');
      return;
    }
    const errs = envVarNameErrors(name);
    for (const m of errs) d.invalid([...e, 'name'], name, m, 'use letters, digits, "_", "-" and "."; "=" and control characters cannot be in a name');
    if (errs.length === 0 && !STRICT_ENV_NAME.test(name)) {
      d.report([...e, 'name'], 'env-name-not-portable',
        `${JSON.stringify(name)}: API servers before 1.32 refuse this name (they take [-._a-zA-Z][-._a-zA-Z0-9]*), and a shell cannot read it as $${name}`,
        'rename it with letters, digits and "_" if other clusters or shell scripts must use it', 'warning');
    }
    if (errs.length === 0 && seen.has(name)) {
      // The API server warns of this since 1.29: the last one wins.
      d.report([...e, 'name'], 'env-duplicate', `${JSON.stringify(name)} is defined twice in this container; the later value wins`,
        'remove one of the entries', 'warning');
    }
    seen.add(name);
  });
  eachItem(d, [...container, 'envFrom'], (e) => {
    const prefix = str(d.get([...e, 'prefix']));
    if (prefix) for (const m of envVarNameErrors(prefix)) d.invalid([...e, 'prefix'], prefix, m, 'the prefix starts every variable name it makes: no "=" or control characters');
  });
}

/**
 * spec.dnsConfig as validatePodDNSConfig checks it: at most 3 nameservers, each an IP; at
 * most 32 search domains and 2048 characters with the spaces, each a DNS subdomain (a
 * trailing dot allowed; 1.32's RelaxedDNSSearchValidation also allows '_' and a lone '.').
 * A search or an option holding whitespace would otherwise become a line of its own in
 * the pod's resolv.conf (`search a.com\nnameserver 6.6.6.6`): options are not validated
 * by the API server, so that refusal is knet's own and says so.
 */
export function validateDnsConfig(d: Decoder, spec: FieldPath): void {
  const base: FieldPath = [...spec, 'dnsConfig'];
  const cfg = d.get(base);
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) return;
  const nameservers = d.get([...base, 'nameservers']);
  if (Array.isArray(nameservers) && nameservers.length > MAX_DNS_NAMESERVERS) {
    d.invalid([...base, 'nameservers'], nameservers, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`,
      'a resolver reads only the first 3; with dnsPolicy ClusterFirst the cluster DNS is one of them');
  }
  const searches = d.get([...base, 'searches']);
  if (Array.isArray(searches)) {
    if (searches.length > MAX_DNS_SEARCHES) {
      d.invalid([...base, 'searches'], searches, `must not have more than ${MAX_DNS_SEARCHES} search paths`, 'drop the least used domains');
    }
    const strings = searches.filter((s): s is string => typeof s === 'string');
    if (strings.join(' ').length > MAX_DNS_SEARCH_CHARS) {
      d.invalid([...base, 'searches'], `${strings.join(' ').slice(0, 40)}...`,
        `must not have more than ${MAX_DNS_SEARCH_CHARS} characters (including spaces) in the search list`, 'drop or shorten search domains');
    }
    searches.forEach((s, i) => {
      if (typeof s !== 'string') return;
      const name = s.endsWith('.') && s !== '.' ? s.slice(0, -1) : s;
      if (name === '.') return;
      const errs = dns1123Subdomain(name.replace(/_/g, 'u'));
      for (const m of errs) {
        // The relaxed rule's wording: '_' allowed, so the plain rule's regex is left out.
        d.invalid([...base, 'searches', i], s, m.replace("alphanumeric characters, '-' or '.'", "alphanumeric characters, '-', '_' or '.'").replace(/ \(e\.g\. .*$/, ''),
          /\s/.test(s) ? 'one domain per list item: a line break or space here would be written into the pod\'s resolv.conf' : 'e.g. svc.cluster.local or example.com');
      }
    });
  }
  eachItem(d, [...base, 'options'], (o) => {
    for (const key of ['name', 'value']) {
      const v = str(d.get([...o, key]));
      if (v !== null && /[\s\u0000-\u001f\u007f]/.test(v)) {
        d.invalid([...o, key], v, 'must not contain whitespace or control characters: the kubelet writes it into resolv.conf, where a line break starts a line of its own (the API server does not check this; knet refuses it)',
          'e.g. name: ndots, value: "2"');
      }
    }
  });
}

/** spec.hostAliases as validateHostAliases checks it: an IP each, hostnames DNS subdomains. */
export function validateHostAliases(d: Decoder, spec: FieldPath): void {
  eachItem(d, [...spec, 'hostAliases'], (h, value) => {
    if (value === null || typeof value !== 'object') return;
    const ip = d.get([...h, 'ip']);
    if (ip === undefined) d.required([...h, 'ip'], 'e.g. ip: 10.1.2.3');
    else if (typeof ip === 'string' && !parseIP(ip)) {
      d.invalid([...h, 'ip'], ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)', 'hostAliases map an address to names; the address comes first');
    }
    eachItem(d, [...h, 'hostnames'], (n, name) => {
      if (typeof name !== 'string') return;
      for (const m of dns1123Subdomain(name)) {
        d.invalid(n, name, m, /\s/.test(name) ? 'one hostname per list item: a line break or space here would be written into the pod\'s /etc/hosts' : 'e.g. db.local');
      }
    });
  });
}
