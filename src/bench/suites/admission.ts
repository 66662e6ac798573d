// Issue 13's admission figures, with real `nginx -t` (root, nginx): what the webhook adds to
// `knet apply` of one Ingress in a cluster of N (one check of the whole configuration), and
// what finding the one Ingress that breaks a configuration of N costs the controllers' guard
// (a binary search over prefixes: about log2(N) checks).
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { annotations, ing, shopCluster } from '../../core/ingress/test-support/world.js';
import { paths } from '../../core/ingress/test-support/route-cases.js';
import { admitIngresses, bundleWith, findBreakers, nginxTest } from '../../dataplane/ingress/admission.js';
import { CONTROLLER_MANIFESTS } from '../../dataplane/ingress/ingress-lab.js';
import { fakeCertificatePem } from '../../dataplane/ingress/self-signed.js';
import { dataplaneSkipReason, median, type BenchResult, type BenchSuite } from '../suite.js';

export const admission: BenchSuite = {
  name: 'admission',
  async run(ctx) {
    const results: BenchResult[] = [];
    const report = (r: BenchResult) => {
      results.push(r);
      ctx.report(r);
    };
    const why = dataplaneSkipReason() || (spawnSync('sh', ['-c', 'command -v nginx']).status !== 0 ? 'nginx is not installed' : '');
    if (why) {
      report({ figure: 'admission figures', value: 0, unit: '', note: `skipped: ${why}` });
      return results;
    }
    const inputs = { fakeCertificate: await fakeCertificatePem(), resolvers: ['10.96.0.10'] };
    for (const n of [10, Math.max(20, Math.round(100 * ctx.scale))]) {
      const broken = Math.floor(n * 0.7);
      const docs = Array.from({ length: n }, (_, k) => ing(`i${k}`, paths(`i${k}.shop.com`, ['/', 'web']), k === broken ? annotations({ 'app-root': '/$nope' }) : ''));
      const c = shopCluster(...CONTROLLER_MANIFESTS, ...docs);
      const good = c.ingresses.filter((i) => i.meta.name !== `i${broken}`);
      const times: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        const v = await admitIngresses({ ...c, ingresses: good }, new Set(['shop/i1']), inputs);
        if (v.refused.length) throw new Error(`admission refused a good Ingress: ${v.refused[0]!.message}`);
        times.push(performance.now() - t);
      }
      report({ figure: `knet apply of 1 Ingress among ${n}: the webhook's nginx -t`, value: Math.round(median(times)), unit: 'ms', note: 'median of 3; compile + temporary prefix + nginx -t' });
      const t = performance.now();
      const b = await findBreakers(c.ingresses, (l) => bundleWith(c, l, inputs), nginxTest);
      if (b.breakers.length !== 1 || b.breakers[0]!.ingress.meta.name !== `i${broken}`) throw new Error(`findBreakers found ${b.breakers.map((x) => x.ingress.meta.name).join(', ') || 'nothing'}`);
      report({ figure: `the guard finds the 1 broken Ingress among ${n}`, value: Math.round(performance.now() - t), unit: 'ms', note: `${b.checks} nginx -t checks` });
    }
    return results;
  },
};
