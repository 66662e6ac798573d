import { describe, expect, it } from 'vitest';
import { askServer, buildDnsIndex } from '../core/dns/dns-server.js';
import { loadCluster } from './fill-in.js';
import { withPublishedHosts } from './published-hosts.js';

describe('Ingress hosts on the internet DNS', () => {
  const { cluster } = loadCluster(['examples/opscart']);
  const vip = cluster.services.find((s) => s.meta.name === 'ingress-nginx-controller')!.loadBalancerIngress[0]!;

  it("every host of a published Ingress resolves to the controller's VIP from the internet side", () => {
    const index = buildDnsIndex(cluster, { upstream: 'closed' }); // the running cluster's internet: nothing else exists
    for (const host of ['api.opscart.com', 'app.opscart.com', 'metrics.opscart.com']) {
      expect(askServer(index, '203.0.113.53', `${host}.`, 'A').answers.map((a) => a.data), host).toEqual([vip]);
    }
    expect(askServer(index, '203.0.113.53', 'nothing.opscart.com.', 'A').rcode).toBe('NXDOMAIN');
  });

  it("the Cluster object's own record for a name wins; an Ingress without a published address adds nothing", () => {
    const ing = cluster.ingresses.find((i) => i.meta.name === 'opscart-ingress')!;
    const config = { ...cluster.config, externalRecords: [{ name: 'api.opscart.com', a: ['203.0.113.7' as never], aaaa: [], cname: '', txt: [] }] };
    const out = withPublishedHosts(config, [ing]);
    expect(out.externalRecords.filter((r) => r.name === 'api.opscart.com').map((r) => r.a)).toEqual([['203.0.113.7']]);
    expect(out.externalRecords.find((r) => r.name === 'app.opscart.com')?.a).toEqual([vip]);
    expect(withPublishedHosts(config, [{ ...ing, loadBalancerIngress: [] }])).toBe(config);
  });
});
