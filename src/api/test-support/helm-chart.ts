// helm 4 in tests: a small chart written into a directory (a Deployment with `replicas` and
// `image.tag` values, its Service, a ConfigMap, NOTES.txt), and the helm binary run against a
// kubeconfig with a home of its own, so no test reads or writes the user's helm settings.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findHelm } from './kubectl-binary.js';
import { runTool, type ToolRun } from './run-tool.js';
import { FakeBackend, kubectlAgainst, serveFakeApi, type LoopbackApi } from './fake-backend.js';

const found = findHelm();
export const HELM = 'path' in found ? found.path : '';
export const helmSkipReason = 'why' in found ? found.why : '';

/** The chart's files, by path under its directory; `extra` adds templates (name -> text). */
export function helloChart(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const name = '{{ .Release.Name }}-web';
  return {
    'Chart.yaml': 'apiVersion: v2\nname: hello\nversion: 0.1.0\nappVersion: "1.0"\n',
    'values.yaml': 'replicas: 2\nimage:\n  repository: nginx\n  tag: "1.27"\nserviceType: ClusterIP\n',
    'templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: web
          image: {{ .Values.image.repository }}:{{ .Values.image.tag }}
          ports: [{containerPort: 80, name: http}]
          readinessProbe:
            httpGet: {path: /, port: http}
            periodSeconds: 1
`,
    'templates/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  type: {{ .Values.serviceType }}
  selector: {app: ${name}}
  ports: [{port: 80, targetPort: http}]
`,
    'templates/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: hello from {{ .Release.Name }}, revision {{ .Release.Revision }}
`,
    'templates/NOTES.txt': '{{ .Release.Name }} answers on http://{{ .Release.Name }}-web.{{ .Release.Namespace }}.svc\n',
    ...Object.fromEntries(Object.entries(extra).map(([file, text]) => [`templates/${file}`, text])),
  };
}

export function writeChart(dir: string, files: Readonly<Record<string, string>>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/**
 * helm against `kubeconfig`, with its cache, config and data homes in a directory of its own.
 * Asynchronous: a fake API server under test runs in this process.
 */
export function helmWith(kubeconfig: string, env: NodeJS.ProcessEnv = {}): { run(args: readonly string[], stdin?: string): Promise<ToolRun>; close(): void } {
  const home = mkdtempSync(join(tmpdir(), 'knet-helm-home-'));
  const helmEnv = {
    ...process.env, ...env, KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data'),
  };
  return {
    run: (args, stdin) => runTool(HELM, args, helmEnv, stdin, 90_000),
    close: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** A kubeconfig for a plain-HTTP server with no credentials (the fake backend's). */
export function plainKubeconfig(server: string, context = 'knet-fake'): string {
  return `apiVersion: v1
kind: Config
clusters: [{name: ${context}, cluster: {server: "${server}"}}]
users: [{name: ${context}, user: {}}]
contexts: [{name: ${context}, context: {cluster: ${context}, user: ${context}}}]
current-context: ${context}
`;
}

export interface HelmOnFakeApi {
  readonly api: LoopbackApi;
  /** A temp dir of the test's own (the kubeconfig is in it; charts may go there). */
  readonly dir: string;
  readonly helm: ReturnType<typeof helmWith>;
  readonly kubectl: ReturnType<typeof kubectlAgainst>;
  close(): Promise<void>;
}

/** The fake backend's API served on loopback, with helm and kubectl pointed at it. */
export async function helmOnFakeApi(name: string, nodes: number): Promise<HelmOnFakeApi> {
  const api = await serveFakeApi(new FakeBackend(name, nodes));
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  writeFileSync(join(dir, 'kubeconfig'), plainKubeconfig(api.url));
  const helm = helmWith(join(dir, 'kubeconfig'));
  const kubectl = kubectlAgainst(api.url);
  return {
    api, dir, helm, kubectl,
    close: async () => {
      helm.close();
      kubectl.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
