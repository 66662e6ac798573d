// The daemon's side of Ingress admission: the webhook on `knet apply` (a new or changed
// Ingress nginx refuses is refused, nothing applied), and the controllers' guard on every
// reconcile: when the configuration fails as a whole (a Secret nginx cannot load, a state
// older than admission), the Ingresses that break it are found and left out, every other
// Ingress keeps updating, and each one left out gets a Warning event (`knet get ingress`,
// `knet get events`, `knet diagnose`), not only a line in daemon.log.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Cluster } from '../cluster/fill-in.js';
import { REJECTED_BY_NGINX, type EventWire } from '../model/events.js';
import { EventLog } from '../cluster/events-log.js';
import type { NginxBundle } from '../compile/ingress-nginx/compile.js';
import { admissionProblems } from '../core/ingress/admission.js';
import { byAge } from '../core/ingress/class.js';
import { routeTableOf } from '../core/ingress/index.js';
import { formatPath } from '../model/decoder.js';
import { refOf, type Ingress } from '../model/types.js';
import { admitIngresses, bundleWith, findBreakers, nginxTest, refusedField, type ConfigInputs, type NginxCheck } from '../dataplane/ingress/admission.js';
import type { Issue } from '../model/issue.js';

const MAX_EVENTS = 200;

let nginxOnPath: boolean | null = null;
function hasNginx(): boolean {
  nginxOnPath ??= spawnSync('sh', ['-c', 'command -v nginx']).status === 0;
  return nginxOnPath;
}

interface Exclusion {
  readonly error: string;
  readonly field: string;
}

/**
 * What nginx's verdict depends on: the Ingresses as written, the Secrets' data, the
 * controller's settings and the certificate files; not the endpoints (an upstream's servers,
 * 503 or proxy_pass), which the compiler writes so that they cannot make nginx refuse.
 */
function inputsKey(cluster: Cluster, bundle: NginxBundle): string {
  const hash = createHash('sha256');
  for (const i of cluster.ingresses) hash.update(JSON.stringify([i.meta.namespace, i.meta.name, i.meta.creationTimestamp, i.meta.annotations, i.ingressClassName, i.rules, i.tls, i.defaultBackend]));
  for (const s of cluster.secrets) hash.update(JSON.stringify([s.meta.namespace, s.meta.name, s.data]));
  for (const c of cluster.ingressClasses) hash.update(JSON.stringify([c.meta.name, c.controller, c.isDefault]));
  hash.update(JSON.stringify(routeTableOf(cluster).controller));
  for (const f of bundle.certificates) hash.update(f.path);
  return hash.digest('hex');
}

export class IngressGuard {
  /** Ingresses the running controllers' configuration leaves out, with nginx's reason. */
  private excluded = new Map<string, Exclusion>();
  private readonly eventLog = new EventLog(MAX_EVENTS);
  /**
   * The inputs last checked (everything but endpoints) and what was kept: a configuration that
   * differs only in endpoints (a readiness change) has the same verdict and costs no nginx -t.
   */
  private last: { key: string; kept: ReadonlySet<string> } | null = null;

  private nginxSaid = false;

  constructor(private readonly check: NginxCheck = nginxTest, private readonly now: () => Date = () => new Date(),
    private readonly nginxInstalled: () => boolean = hasNginx) {}

  /** Without nginx there is nothing to test with (and the controller pods cannot run): admitted, said once. */
  private withoutNginx(log: (line: string) => void): boolean {
    if (this.nginxInstalled()) return false;
    if (!this.nginxSaid) log('ingress admission: nginx is not installed (apt-get install nginx): Ingresses are admitted untested');
    this.nginxSaid = true;
    return true;
  }

  /** The webhook: the Issues refusing the request's Ingresses nginx refuses (empty: admitted). */
  async admit(candidate: Cluster, changed: ReadonlySet<string>, inputs: ConfigInputs, log: (line: string) => void): Promise<readonly Issue[]> {
    if (this.withoutNginx(log)) return [];
    const r = await admitIngresses(candidate, changed, inputs, { excluded: new Set(this.excluded.keys()), check: this.check });
    if (r.checks > 0) log(`ingress admission: ${changed.size} Ingress${changed.size === 1 ? '' : 'es'} tested with nginx -t (${r.checks} check${r.checks === 1 ? '' : 's'}, ${Math.round(r.ms)} ms)${r.refused.length ? `: refused ${r.refused.map((i) => i.object).join(', ')}` : ''}`);
    return r.refused;
  }

  /**
   * The configuration the controllers get: every served Ingress when nginx accepts them all;
   * else all but those that break it (oldest first: the later one is left out, as the webhook
   * would have refused it), each recorded as a Warning event.
   */
  async configure(cluster: Cluster, inputs: ConfigInputs, log: (line: string) => void): Promise<NginxBundle> {
    const ingresses = [...cluster.ingresses].sort(byAge);
    const full = bundleWith(cluster, ingresses, inputs);
    if (this.withoutNginx(log)) return full;
    const refs = (list: readonly Ingress[]) => list.map((i) => refOf(i.meta.namespace, i.meta.name) as string);
    const key = inputsKey(cluster, full);
    if (this.last?.key === key) {
      const kept = ingresses.filter((i) => this.last!.kept.has(refOf(i.meta.namespace, i.meta.name)));
      return kept.length === ingresses.length ? full : bundleWith(cluster, kept, inputs);
    }
    // Ingresses left out before go last, so an Ingress that serves keeps serving.
    const ordered = [...ingresses.filter((i) => !this.excluded.has(refOf(i.meta.namespace, i.meta.name))), ...ingresses.filter((i) => this.excluded.has(refOf(i.meta.namespace, i.meta.name)))];
    const build = (list: readonly Ingress[]) => bundleWith(cluster, list, inputs);
    const b = await findBreakers(ordered, build, this.check);
    if (b.baseError) {
      // Not an Ingress's doing (nginx refuses even without any): the Ingresses left out stay out,
      // nothing is said to be back, and the next pass looks again.
      log(`ingress: nginx refuses the configuration even without any Ingress: ${b.baseError}`);
      const kept = ingresses.filter((i) => !this.excluded.has(refOf(i.meta.namespace, i.meta.name)));
      return kept.length === ingresses.length ? full : build(kept);
    }
    const next = new Map<string, Exclusion>();
    const predicted = b.breakers.length ? admissionProblems(routeTableOf(cluster), cluster.ingresses).filter((p) => p.severity === 'error') : [];
    for (const br of b.breakers) {
      const ref = refOf(br.ingress.meta.namespace, br.ingress.meta.name);
      const field = formatPath(refusedField(br.ingress, br.error, build([...b.kept, br.ingress]).conf, predicted.filter((p) => p.ingress === ref).map((p) => p.field)));
      next.set(ref, { error: br.error, field });
      if (this.excluded.get(ref)?.error !== br.error) {
        log(`ingress: Ingress ${ref} left out of the controllers' configuration (${b.checks} nginx -t checks): ${br.error}`);
      }
      this.record(br.ingress, 'Warning', REJECTED_BY_NGINX, `nginx refuses the configuration with this Ingress (${field}), so the controllers serve without it: ${br.error}`, field);
    }
    for (const ref of this.excluded.keys()) {
      if (next.has(ref)) continue;
      const ing = ingresses.find((i) => refOf(i.meta.namespace, i.meta.name) === ref);
      if (!ing) continue;
      log(`ingress: Ingress ${ref} is back in the controllers' configuration`);
      this.record(ing, 'Normal', 'Sync', 'nginx accepts the configuration with this Ingress again: the controllers serve it', '');
    }
    this.excluded = next;
    this.last = { key, kept: new Set(refs(b.kept)) };
    return b.kept.length === ingresses.length ? full : build(b.kept);
  }

  /** Every event, oldest first (kubectl's `get events` order). */
  events(): readonly EventWire[] {
    return this.eventLog.list();
  }

  private record(ing: Ingress, type: EventWire['type'], reason: string, message: string, fieldPath: string): void {
    const { namespace, name, uid } = ing.meta;
    // The same Event objects as every controller's (cluster/events-log.ts): a repeat raises the count.
    this.eventLog.record([{
      involved: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name, uid, ...(fieldPath ? { fieldPath } : {}) },
      type, reason, message, component: 'nginx-ingress-controller',
    }], this.now());
  }

}
