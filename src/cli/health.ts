// `knet health [-n NS] POD [healthy|unhealthy]`: a running pod's probes as its kubelet runs
// them (results, the last failure's words, events, restarts) and, with a state, makes its
// built-in responder sick or well on purpose: /healthz and every path its httpGet probes
// ask answer 503 while unhealthy, so readiness probes fail and the pod leaves its Services
// after failureThreshold periods (and a liveness probe on those paths restarts it).
import type { Command } from 'commander';
import { request } from '../daemon/client.js';
import type { PodHealth } from '../daemon/daemon.js';
import { CliError, type Io } from './output.js';
import { daemonAction, pickCluster, requireRoot, withCluster } from './source.js';

export function registerHealth(program: Command, io: Io): void {
  withCluster(program
    .command('health')
    .description("show a running pod's probes, or make its built-in server healthy or unhealthy on purpose")
    .argument('<pod>', 'POD or pod/POD')
    .argument('[state]', 'healthy or unhealthy')
    .option('-n, --namespace <ns>', "the pod's namespace", '')
    .option('-o, --output <format>', 'json for the raw status'))
    .action(daemonAction(io, async (pod: string, state: string | undefined, o: { namespace: string; output?: string; name?: string }) => {
      requireRoot('health');
      if (state !== undefined && state !== 'healthy' && state !== 'unhealthy') {
        throw new CliError(`error: the state is healthy or unhealthy, not "${state}": knet health -n ${o.namespace || 'default'} ${pod} unhealthy`);
      }
      const cluster = pickCluster(o.name);
      const name = pod.replace(/^(pods?|po)\//, '');
      const path = `/apis/knet.dev/v1alpha1/health/${encodeURIComponent(o.namespace || 'default')}/${encodeURIComponent(name)}`;
      const res = await request<PodHealth & { message?: string }>(cluster, state ? 'POST' : 'GET', path, state ? { healthy: state === 'healthy' } : undefined);
      if (res.status !== 200) throw new CliError(res.status === 404 ? `Error from server (NotFound): ${res.body.message}` : `error: ${res.body.message ?? `HTTP ${res.status}`}`);
      if (o.output === 'json') {
        io.out(`${JSON.stringify(res.body, null, 2)}\n`);
        return 0;
      }
      io.out(renderHealth(res.body, state));
      return 0;
    }));
}

export function renderHealth(h: PodHealth, changed?: string): string {
  const lines: string[] = [];
  if (changed) lines.push(`pod/${h.pod.split('/')[1]} made ${changed}: its health checks now answer ${changed === 'healthy' ? '200' : '503'}`);
  lines.push(`Pod:       ${h.pod} (node ${h.node})`);
  lines.push(`Ready:     ${h.ready ? 'True' : 'False'}`);
  lines.push(`Restarts:  ${h.restarts}`);
  if (h.termination) lines.push(`Stopping:  ${h.termination === 'stopping' ? 'deleted; its containers are stopping (preStop hook, SIGTERM, SIGKILL after the grace period)' : 'deleted; every container has stopped'}`);
  lines.push(`Server:    ${h.healthy ? 'healthy' : 'unhealthy (health checks answer 503)'}`);
  if (h.probes.length === 0) lines.push('Probes:    none (Ready while its containers run)');
  for (const c of h.probes) {
    lines.push(`Container ${c.name}: started ${c.started}, ready ${c.ready}, restarted by probes ${c.restarts}`);
    for (const p of c.probes) lines.push(`  ${p.probe.padEnd(9)} ${p.result}${p.message ? `  (${p.message})` : ''}`);
  }
  if (h.events.length > 0) {
    lines.push('Events:');
    for (const e of h.events.slice(-8)) lines.push(`  ${e}`);
  }
  if (!changed && h.healthy && !h.ready && !h.termination) lines.push(`hint: the probes fail although the server is healthy: check their port and path (knet get pod ... -o yaml)`);
  return `${lines.join('\n')}\n`;
}
