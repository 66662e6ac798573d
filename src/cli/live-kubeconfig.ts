// Which cluster a Predict command reads without -f, and as whom: the kubeconfig files kubectl
// would read ($KUBECONFIG's list merged by kubectl's rules, else ~/.kube/config; --kubeconfig:
// that file alone), the context (--context, else current-context), its cluster and its user.
// Pure: texts in, a target or an error that names the file, the context, the field and the fix.
import jsyaml from 'js-yaml';
import { dirname, isAbsolute, join } from 'node:path';

export interface KubeconfigText {
  readonly path: string;
  readonly text: string;
}

/** A client.authentication.k8s.io exec credential plugin (kubelogin, aws eks get-token, gke-gcloud-auth-plugin). */
export interface ExecPlugin {
  readonly apiVersion: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly installHint: string;
  readonly provideClusterInfo: boolean;
  readonly interactiveMode: string;
}

/** Where a credential comes from: inline data, or a file (paths made absolute against the kubeconfig that names them). */
export interface DataOrFile {
  readonly data?: string; // PEM (the -data fields, base64-decoded)
  readonly file?: string;
  /** The kubeconfig field, for errors: users[].user.client-certificate. */
  readonly field: string;
}

export interface LiveTarget {
  /** The kubeconfig file that defines the context, for errors. */
  readonly file: string;
  readonly context: string;
  readonly clusterName: string;
  readonly userName: string;
  /** The context's namespace ('' = none: default). */
  readonly namespace: string;
  readonly server: string;
  readonly tls: {
    readonly ca?: DataOrFile;
    readonly insecure: boolean;
    readonly serverName: string;
  };
  readonly user: {
    readonly cert?: DataOrFile;
    readonly key?: DataOrFile;
    readonly token?: string;
    readonly tokenFile?: string;
    readonly username?: string;
    readonly password?: string;
    readonly exec?: ExecPlugin;
  };
}

export interface KubeconfigProblem {
  readonly error: string;
  readonly hint: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: Obj, key: string): string => (typeof o[key] === 'string' ? (o[key] as string) : '');

interface Named {
  readonly file: string;
  readonly body: Obj;
}

interface Merged {
  readonly clusters: Map<string, Named>;
  readonly users: Map<string, Named>;
  readonly contexts: Map<string, Named>;
  readonly current: string;
  readonly currentFile: string;
}

/** kubectl's merge: for each name, and for current-context, the first file that sets it wins. */
function mergeFiles(files: readonly KubeconfigText[]): Merged | KubeconfigProblem {
  const m = { clusters: new Map<string, Named>(), users: new Map<string, Named>(), contexts: new Map<string, Named>() };
  let current = '';
  let currentFile = '';
  for (const f of files) {
    let doc: unknown;
    try {
      doc = jsyaml.load(f.text);
    } catch (e) {
      return { error: `error loading config file "${f.path}": ${String((e as Error).message).split('\n')[0]}`, hint: 'fix the YAML, or point --kubeconfig (or $KUBECONFIG) at another file' };
    }
    if (doc === undefined || doc === null) continue;
    if (!isObj(doc)) return { error: `error loading config file "${f.path}": not a mapping of keys to values`, hint: 'a kubeconfig is a YAML mapping with clusters, users and contexts' };
    for (const [section, entry] of [['clusters', 'cluster'], ['users', 'user'], ['contexts', 'context']] as const) {
      const list = doc[section];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) return { error: `error loading config file "${f.path}": ${section} is not a list`, hint: `write ${section}: as a list of {name, ${entry}} entries` };
      for (const item of list) {
        if (!isObj(item) || typeof item['name'] !== 'string') continue;
        if (!m[section].has(item['name'])) m[section].set(item['name'], { file: f.path, body: isObj(item[entry]) ? item[entry] : {} });
      }
    }
    if (!current && typeof doc['current-context'] === 'string' && doc['current-context']) {
      current = doc['current-context'];
      currentFile = f.path;
    }
  }
  return { ...m, current, currentFile };
}

/** A file field's path, as kubectl resolves it: relative to the kubeconfig that names it. */
function resolvePath(file: string, p: string): string {
  return isAbsolute(p) ? p : join(dirname(file), p);
}

function dataOrFile(named: Named, key: string, field: string): DataOrFile | KubeconfigProblem | undefined {
  const data = str(named.body, `${key}-data`);
  const file = str(named.body, key);
  if (data) {
    const pem = Buffer.from(data, 'base64').toString('utf8');
    if (!pem.includes('-----BEGIN')) {
      return { error: `kubeconfig ${named.file}: ${field}-data is not base64 of a PEM block`, hint: `put the base64 of the PEM file there (base64 -w0 FILE), or name the file with ${field.split('.').pop()}: PATH` };
    }
    return { data: pem, field: `${field}-data` };
  }
  if (file) return { file: resolvePath(named.file, file), field };
  return undefined;
}

const isProblem = (v: unknown): v is KubeconfigProblem => isObj(v) && typeof v['error'] === 'string';

/** The auth providers kubectl dropped (1.26), each with the exec plugin that replaced it. */
const AUTH_PROVIDER_FIX: Readonly<Record<string, string>> = {
  gcp: 'install gke-gcloud-auth-plugin, then gcloud container clusters get-credentials CLUSTER writes an exec entry',
  azure: 'install kubelogin, then kubelogin convert-kubeconfig -l azurecli (or az aks get-credentials again) writes an exec entry',
  oidc: 'use an exec plugin instead (kubelogin: kubectl oidc-login), as kubectl does since 1.26',
};

function execPlugin(named: Named, user: string): ExecPlugin | KubeconfigProblem {
  const e = named.body['exec'] as Obj;
  const where = `kubeconfig ${named.file}, user "${user}"`;
  const apiVersion = str(e, 'apiVersion');
  if (!['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'].includes(apiVersion)) {
    return {
      error: `${where}: exec.apiVersion ${JSON.stringify(apiVersion)} is not one knet speaks`,
      hint: 'use client.authentication.k8s.io/v1 (or v1beta1); v1alpha1 was removed from kubectl in 1.24',
    };
  }
  const command = str(e, 'command');
  if (!command) return { error: `${where}: exec.command is empty`, hint: 'name the credential plugin to run, e.g. kubelogin, aws or gke-gcloud-auth-plugin' };
  const args = Array.isArray(e['args']) ? e['args'].map(String) : [];
  const env = Array.isArray(e['env']) ? e['env'].filter(isObj).map((v) => ({ name: str(v, 'name'), value: str(v, 'value') })) : [];
  return {
    apiVersion,
    // kubectl's rule: a command with a slash is a path relative to the kubeconfig; a bare name is looked up on PATH.
    command: command.includes('/') ? resolvePath(named.file, command) : command,
    args, env,
    installHint: str(e, 'installHint'),
    provideClusterInfo: e['provideClusterInfo'] === true,
    interactiveMode: str(e, 'interactiveMode') || (apiVersion.endsWith('/v1beta1') ? 'IfAvailable' : ''),
  };
}

function userOf(named: Named | undefined, name: string): LiveTarget['user'] | KubeconfigProblem {
  if (!named) return {};
  const b = named.body;
  const where = `kubeconfig ${named.file}, user "${name}"`;
  const provider = isObj(b['auth-provider']) ? str(b['auth-provider'], 'name') : '';
  if (provider) {
    return {
      error: `${where}: auth-provider "${provider}" is no longer supported (kubectl removed the built-in providers in 1.26)`,
      hint: AUTH_PROVIDER_FIX[provider] ?? 'replace it with an exec credential plugin from your provider',
    };
  }
  const cert = dataOrFile(named, 'client-certificate', 'users[].user.client-certificate');
  const key = dataOrFile(named, 'client-key', 'users[].user.client-key');
  if (isProblem(cert)) return cert;
  if (isProblem(key)) return key;
  if (Boolean(cert) !== Boolean(key)) {
    return { error: `${where}: ${cert ? 'client-certificate without client-key' : 'client-key without client-certificate'}`, hint: 'a client certificate needs its key: give both (or their -data forms)' };
  }
  const token = str(b, 'token');
  const tokenFile = str(b, 'tokenFile');
  const username = str(b, 'username');
  if ((token || tokenFile) && username) {
    return { error: `${where}: username/password or bearer token may be set, but not both`, hint: 'keep one of them' };
  }
  let exec: ExecPlugin | undefined;
  if (isObj(b['exec'])) {
    const e = execPlugin(named, name);
    if (isProblem(e)) return e;
    exec = e;
  }
  return {
    ...(cert && key ? { cert, key } : {}),
    ...(token ? { token } : {}),
    ...(tokenFile ? { tokenFile: resolvePath(named.file, tokenFile) } : {}),
    ...(username ? { username, password: str(b, 'password') } : {}),
    ...(exec ? { exec } : {}),
  };
}

/**
 * The target of `--context` (else the current context) in the merged files. `files` holds the
 * files that exist, in order; `looked` names every file looked at, for the error when none does.
 */
export function resolveKubeconfig(files: readonly KubeconfigText[], wanted: { readonly context?: string | undefined; readonly looked: readonly string[] }): LiveTarget | KubeconfigProblem {
  const merged = mergeFiles(files);
  if (isProblem(merged)) return merged;
  const looked = wanted.looked.join(', ');
  const name = wanted.context || merged.current;
  if (!name) {
    if (merged.contexts.size === 0) {
      return {
        error: files.length === 0 ? `no kubeconfig: ${looked} ${wanted.looked.length === 1 ? 'does' : 'do'} not exist` : `no context in ${looked}`,
        hint: 'pass manifests with -f DIR, or point --kubeconfig at a cluster\'s kubeconfig (az aks get-credentials, aws eks update-kubeconfig, gcloud container clusters get-credentials, kind get kubeconfig, knet up write one)',
      };
    }
    return { error: `${looked}: no current-context`, hint: `say which with --context NAME (${[...merged.contexts.keys()].join(', ')}), or kubectl config use-context NAME` };
  }
  const ctx = merged.contexts.get(name);
  if (!ctx) {
    const known = [...merged.contexts.keys()];
    return {
      error: `context "${name}" does not exist in ${looked}${wanted.context ? '' : ` (current-context of ${merged.currentFile})`}`,
      hint: known.length > 0 ? `contexts there: ${known.join(', ')}` : 'that file has no contexts; kubectl config get-contexts lists them',
    };
  }
  const where = `kubeconfig ${ctx.file}, context "${name}"`;
  const clusterName = str(ctx.body, 'cluster');
  const cluster = merged.clusters.get(clusterName);
  if (!cluster) return { error: `${where}: cluster "${clusterName}" is not defined`, hint: `add it under clusters:, or fix contexts[].context.cluster (defined: ${[...merged.clusters.keys()].join(', ') || 'none'})` };
  const server = str(cluster.body, 'server');
  const at = `kubeconfig ${cluster.file}, cluster "${clusterName}"`;
  if (!server) return { error: `${at}: no server`, hint: 'set clusters[].cluster.server to the API server\'s URL, e.g. https://1.2.3.4:6443' };
  if (!/^https?:\/\/[^/]/.test(server)) return { error: `${at}: server ${JSON.stringify(server)} is not an http(s) URL`, hint: 'e.g. https://1.2.3.4:6443' };
  if (str(cluster.body, 'proxy-url')) {
    return { error: `${at}: proxy-url is set, and knet does not reach API servers through a proxy yet`, hint: 'read the cluster without a proxy (a kubeconfig without proxy-url, from a machine that reaches the server), or dump it: kubectl get -A -o yaml ... > dump.yaml; knet ... -f dump.yaml' };
  }
  const ca = dataOrFile(cluster, 'certificate-authority', 'clusters[].cluster.certificate-authority');
  if (isProblem(ca)) return ca;
  const userName = str(ctx.body, 'user');
  const userEntry = merged.users.get(userName);
  if (userName && !userEntry) return { error: `${where}: user "${userName}" is not defined`, hint: `add it under users:, or fix contexts[].context.user (defined: ${[...merged.users.keys()].join(', ') || 'none'})` };
  const user = userOf(userEntry, userName);
  if (isProblem(user)) return user;
  return {
    file: ctx.file, context: name, clusterName, userName, namespace: str(ctx.body, 'namespace'), server: server.replace(/\/+$/, ''),
    tls: { ...(ca ? { ca } : {}), insecure: cluster.body['insecure-skip-tls-verify'] === true, serverName: str(cluster.body, 'tls-server-name') },
    user,
  };
}

export function isKubeconfigProblem(v: LiveTarget | KubeconfigProblem): v is KubeconfigProblem {
  return isProblem(v);
}
