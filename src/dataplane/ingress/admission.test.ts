// The webhook's side of Ingress admission: the shared case table (core/ingress/test-support/
// admission-cases.ts) through real `nginx -t` (root and nginx; skipped with the reason
// otherwise), the search for the Ingress that breaks a configuration (with a fake nginx, and
// a real one), and the controllers' guard that leaves it out and records an event.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../cluster/fill-in.js';
import { ADMISSION_CASES } from '../../core/ingress/test-support/admission-cases.js';
import { annotations, ing, shopCluster } from '../../core/ingress/test-support/world.js';
import { paths } from '../../core/ingress/test-support/route-cases.js';
import { IngressGuard } from '../../daemon/ingress-admission.js';
import { CONTROLLER_VARIABLES, NGINX_VARIABLE_PREFIXES, NGINX_VARIABLES } from '../../core/ingress/nginx-variables.js';
import type { NginxBundle } from '../../compile/ingress-nginx/compile.js';
import type { Ingress } from '../../model/types.js';
import { admitIngresses, findBreakers, nginxError, nginxTest, type NginxVerdict } from './admission.js';
import { fakeCertificatePem } from './self-signed.js';
import { CONTROLLER_MANIFESTS } from './ingress-lab.js';

function withController(...ingresses: string[]): Cluster {
  return shopCluster(...CONTROLLER_MANIFESTS, ...ingresses);
}

function ingressNamed(c: Cluster, name: string): Ingress {
  return c.ingresses.find((i) => i.meta.name === name)!;
}

describe('findBreakers: the Ingresses whose addition makes nginx refuse, in few checks', () => {
  // A fake nginx: refuses a configuration naming a bad Ingress, or both halves of a pair.
  const bundleOf = (ings: readonly Ingress[]): NginxBundle => ({ conf: ings.map((i) => i.meta.name).join(' '), certificates: [], notes: [] });
  const fake = (bad: (names: string[]) => string | null) => async (b: NginxBundle): Promise<NginxVerdict> => {
    const why = bad(b.conf.split(' ').filter(Boolean));
    return why ? { ok: false, error: why } : { ok: true };
  };
  const many = (n: number) => withController(...Array.from({ length: n }, (_, k) => ing(`i${k}`, paths(`i${k}.shop.com`, ['/', 'web']))));

  it('all accepted: one check', async () => {
    const c = many(5);
    const r = await findBreakers(c.ingresses, bundleOf, fake(() => null));
    expect(r.breakers).toEqual([]);
    expect(r.checks).toBe(1);
  });

  it('two bad ones out of 40 are found with their errors, every other one kept, in about 2·log2(40) checks', async () => {
    const c = many(40);
    const r = await findBreakers(c.ingresses, bundleOf, fake((n) => n.find((x) => x === 'i7' || x === 'i31') ?? null));
    expect(r.breakers.map((b) => `${b.ingress.meta.name}: ${b.error}`)).toEqual(['i7: i7', 'i31: i31']);
    expect(r.kept.map((i) => i.meta.name)).toEqual(c.ingresses.map((i) => i.meta.name).filter((n) => n !== 'i7' && n !== 'i31'));
    expect(r.checks).toBeLessThanOrEqual(2 + 2 * (Math.ceil(Math.log2(40)) + 1));
  });

  it('a pair that fails only together: the later one is left out', async () => {
    const c = many(6);
    const r = await findBreakers(c.ingresses, bundleOf, fake((n) => (n.includes('i1') && n.includes('i4') ? 'pair' : null)));
    expect(r.breakers.map((b) => b.ingress.meta.name)).toEqual(['i4']);
  });

  it('a configuration refused without any Ingress is nobody\'s: nothing left out', async () => {
    const c = many(3);
    const r = await findBreakers(c.ingresses, bundleOf, fake(() => 'default certificate'));
    expect(r).toMatchObject({ breakers: [], baseError: 'default certificate' });
  });

  it('the guard checks a configuration once: the same inputs with other endpoints (a readiness change) cost no nginx -t', async () => {
    let checks = 0;
    const guard = new IngressGuard(async () => (checks++, { ok: true }), undefined, () => true);
    const c = withController(ing('a', paths('a.shop.com', ['/', 'web'])));
    const inputs = { fakeCertificate: 'x', resolvers: [] };
    const first = await guard.configure(c, inputs, () => {});
    const unready = await guard.configure({ ...c, endpointSlices: [] }, inputs, () => {});
    expect(first.conf).not.toBe(unready.conf); // 503 instead of proxy_pass
    expect(checks).toBe(1);
    await guard.configure(withController(ing('a', paths('a.shop.com', ['/', 'web'])), ing('b', paths('b.shop.com', ['/', 'web']))), inputs, () => {});
    expect(checks).toBe(2);
  });

  it('nginx refusing even the configuration without any Ingress (not an Ingress\'s doing) leaves the Ingresses left out out, and says none is back', async () => {
    let broken = false;
    // nginx refuses bad.shop.com's server; later (a full disk, say) it refuses everything.
    const guard = new IngressGuard(async (b) => (broken ? { ok: false, error: 'nginx: [emerg] no space left on device' }
      : b.conf.includes('bad.shop.com') ? { ok: false, error: 'nginx: [emerg] cannot load certificate' } : { ok: true }), () => new Date('2026-12-07T20:00:00Z'), () => true);
    const inputs = { fakeCertificate: 'x', resolvers: [] };
    const good = ing('good', paths('good.shop.com', ['/', 'web']));
    const bad = ing('bad', paths('bad.shop.com', ['/', 'web']));
    expect((await guard.configure(withController(good, bad), inputs, () => {})).conf).not.toContain('bad.shop.com');
    broken = true;
    const lines: string[] = [];
    const third = ing('third', paths('third.shop.com', ['/', 'web']));
    const bundle = await guard.configure(withController(good, bad, third), inputs, (l) => lines.push(l));
    expect(bundle.conf).not.toContain('bad.shop.com');
    expect(lines).toEqual(['ingress: nginx refuses the configuration even without any Ingress: nginx: [emerg] no space left on device']);
    expect(guard.events().map((e) => e.reason)).toEqual(['RejectedByNginx']);
  });

  it('without nginx the guard admits untested and says so once (the controller pods cannot run either)', async () => {
    const lines: string[] = [];
    const guard = new IngressGuard(async () => ({ ok: false, error: 'never asked' }), undefined, () => false);
    const c = withController(ing('a', paths('a.shop.com', ['/', 'web']), annotations({ 'app-root': '/$nope' })));
    expect(await guard.admit(c, new Set(['shop/a']), { fakeCertificate: 'x', resolvers: [] }, (l) => lines.push(l))).toEqual([]);
    await guard.configure(c, { fakeCertificate: 'x', resolvers: [] }, (l) => lines.push(l));
    expect(lines).toEqual(['ingress admission: nginx is not installed (apt-get install nginx): Ingresses are admitted untested']);
  });

  it("nginx's refusal as a terminal prints it, without the time, pid or temporary prefix", () => {
    const stderr = '2026/12/07 18:28:30 [emerg] 6973#6973: pcre2_compile() failed: reference to non-existent subpattern in "^/a\\1" at "1" in /tmp/knet-admission-x/nginx.conf:6\nnginx: configuration file /tmp/knet-admission-x/nginx.conf test failed\n';
    expect(nginxError(stderr, '/tmp/knet-admission-x')).toBe('nginx: [emerg] pcre2_compile() failed: reference to non-existent subpattern in "^/a\\1" at "1" in nginx.conf:6');
  });
});

function nginxSkipReason(): string {
  if (spawnSync('sh', ['-c', 'command -v nginx']).status !== 0) return 'nginx is not installed (apt-get install nginx)';
  if (process.getuid?.() !== 0) return 'needs root: nginx -t runs in a network namespace of its own';
  return '';
}
const skip = nginxSkipReason();

describe.skipIf(skip !== '')(`the webhook: nginx -t refuses what the prediction flags${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let inputs: { fakeCertificate: string; resolvers: string[] };
  beforeAll(async () => {
    inputs = { fakeCertificate: await fakeCertificatePem(), resolvers: ['10.96.0.10'] };
  });

  for (const c of ADMISSION_CASES) {
    it(c.name, async () => {
      const cluster = withController(...c.ingresses);
      const last = cluster.ingresses.find((i) => c.ingresses.at(-1)!.includes(`name: ${i.meta.name}\n`))!;
      const r = await admitIngresses(cluster, new Set([`shop/${last.meta.name}`]), inputs);
      if (!c.refused) {
        expect(r.refused).toEqual([]);
        return;
      }
      expect(r.refused).toHaveLength(1);
      const issue = r.refused[0]!;
      expect(issue).toMatchObject({ object: `Ingress shop/${c.refused.ingress}`, field: c.refused.field, file: 'shop.yaml' });
      expect(issue.line).toBeGreaterThan(0);
      expect(issue.message).toMatch(/^admission webhook "validate.nginx.ingress.kubernetes.io" denied the request: nginx: \[emerg\] /);
      expect(issue.message).toMatch(c.refused.nginx);
      expect(issue.hint).toBeTruthy();
    });
  }

  it('every variable the prediction knows (nginx\'s, its families, the controller\'s) is one nginx -t accepts', async () => {
    const names = [...NGINX_VARIABLES, ...NGINX_VARIABLE_PREFIXES.map((p) => `${p}x`), ...CONTROLLER_VARIABLES];
    const cluster = withController(ing('vars', paths('vars.shop.com', ['/', 'web']), annotations({ 'app-root': `/${names.map((n) => `$${n}`).join('/')}` })));
    const r = await admitIngresses(cluster, new Set(['shop/vars']), inputs);
    expect(r).toMatchObject({ refused: [], checks: 1 });
  });

  it('the guard leaves out the Ingress that breaks the configuration, keeps the rest and records a Warning event; fixed, it is back', async () => {
    const good = ing('good', paths('good.shop.com', ['/', 'web']));
    const bad = ing('bad', paths('bad.shop.com', ['/', 'web']), annotations({ 'app-root': '/$nope' }));
    const guard = new IngressGuard(nginxTest, () => new Date('2026-12-07T20:00:00Z'));
    const lines: string[] = [];
    const bundle = await guard.configure(withController(good, bad), inputs, (l) => lines.push(l));
    expect(bundle.conf).toContain('server_name good.shop.com;');
    expect(bundle.conf).not.toContain('bad.shop.com');
    expect(await nginxTest(bundle)).toEqual({ ok: true });
    expect(lines.join('\n')).toContain('ingress: Ingress shop/bad left out of the controllers\' configuration');
    expect(guard.events()).toMatchObject([{
      type: 'Warning', reason: 'RejectedByNginx', count: 1,
      involvedObject: { kind: 'Ingress', namespace: 'shop', name: 'bad', fieldPath: 'metadata.annotations["nginx.ingress.kubernetes.io/app-root"]' },
      message: expect.stringContaining('nginx: [emerg] unknown "nope" variable'),
    }]);
    const fixed = await guard.configure(withController(good, ing('bad', paths('bad.shop.com', ['/', 'web']), annotations({ 'app-root': '/$host' }))), inputs, () => {});
    expect(fixed.conf).toContain('server_name bad.shop.com;');
    expect(guard.events().map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning RejectedByNginx', 'Normal Sync']);
  });

  it('a Secret nginx cannot load breaks the configuration: the Ingress naming it is left out, the others serve', async () => {
    const junk = Buffer.from('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n').toString('base64');
    const key = Buffer.from('-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n').toString('base64');
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: {name: junk-tls, namespace: shop}\ntype: kubernetes.io/tls\ndata: {tls.crt: ${junk}, tls.key: ${key}}\n`;
    const c = withController(secret, ing('fine', paths('fine.shop.com', ['/', 'web'])),
      ing('tls', `tls:\n- hosts: [tls.shop.com]\n  secretName: junk-tls\n${paths('tls.shop.com', ['/', 'web'])}`));
    const guard = new IngressGuard();
    const bundle = await guard.configure(c, inputs, () => {});
    expect(bundle.conf).toContain('server_name fine.shop.com;');
    expect(bundle.conf).not.toContain('tls.shop.com');
    expect(guard.events()[0]).toMatchObject({ involvedObject: { name: 'tls', fieldPath: 'spec.tls[0].secretName' }, message: expect.stringMatching(/cannot load certificate|PEM/) });
    expect(ingressNamed(c, 'tls')).toBeTruthy();
  });
});
