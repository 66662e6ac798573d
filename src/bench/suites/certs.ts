// `npm run bench -- certs` (root, Debian's pebble): time from an annotated Ingress to a
// Ready Certificate through knet's cert-manager controller against a real Pebble. The
// ingress path (nginx from the internet to the solver pod) is not in it yet: port 80 of the
// host is a plain router in the lab (daemon/cert-manager-lab.ts) until the ingress
// controller lands; the figure is the controller, ACME and Pebble's validation.
import { acmeLabSkipReason, AcmeLab } from '../../dataplane/acme/acme-lab.js';
import { labController, ingressYaml, solverRouter, Store, userObjects, field } from '../../daemon/cert-manager-lab.js';
import { median, type BenchResult, type BenchSuite } from '../suite.js';

const TARGET_MS = 5000;

export const certs: BenchSuite = {
  name: 'certs',
  run: async (ctx) => {
    const skip = acmeLabSkipReason();
    if (skip) {
      ctx.log(`certs: skipped (${skip})`);
      return [];
    }
    const runs = Math.max(3, Math.round(10 * Math.min(1, ctx.scale)));
    const lab = await AcmeLab.start(`bench${process.pid}`);
    const store = new Store(userObjects('warmup.lab.test', 'warmup-tls'));
    const server = await lab.serveHttp(solverRouter(store));
    const controller = labController(lab, store);
    const results: BenchResult[] = [];
    try {
      // The first issuance registers the ACME account: measured on its own.
      let t = performance.now();
      controller.kick();
      await controller.idle();
      const first = performance.now() - t;
      if (!ready(store, 'warmup-tls')) throw new Error('certs: the first Certificate did not become Ready');
      const samples: number[] = [];
      for (let i = 0; i < runs; i++) {
        store.add(ingressYaml(`c${i}.lab.test`, `c${i}-tls`));
        t = performance.now();
        controller.kick();
        await controller.idle();
        samples.push(performance.now() - t);
        if (!ready(store, `c${i}-tls`)) throw new Error(`certs: Certificate c${i}-tls did not become Ready`);
      }
      const med = median(samples);
      const max = Math.max(...samples);
      const note = 'controller + ACME + Pebble validation in a namespace lab; the nginx ingress hop is not included (not landed)';
      for (const r of [
        { figure: 'annotated Ingress -> Ready Certificate, first (account registration included)', value: first / 1000, unit: 's', target: '<= 5 s', ok: first <= TARGET_MS, note },
        { figure: `annotated Ingress -> Ready Certificate, median of ${runs}`, value: med / 1000, unit: 's', target: '<= 5 s', ok: med <= TARGET_MS, note },
        { figure: `annotated Ingress -> Ready Certificate, worst of ${runs}`, value: max / 1000, unit: 's', target: '<= 5 s', ok: max <= TARGET_MS },
      ] satisfies BenchResult[]) {
        ctx.report(r);
        results.push(r);
      }
      return results;
    } finally {
      controller.stop();
      await controller.idle();
      server.close();
      await lab.stop();
    }
  },
};

function ready(store: Store, name: string): boolean {
  const cert = store.find('Certificate', name)[0];
  const conditions = field(cert, 'status', 'conditions');
  return Array.isArray(conditions) && conditions.some((c: { type?: string; status?: string }) => c.type === 'Ready' && c.status === 'True');
}
