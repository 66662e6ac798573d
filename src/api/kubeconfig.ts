// kubeconfig files as kind writes them: a cluster, a user and a context named `knet-<name>`,
// merged into the file kubectl would change (kubectl's rule: $KUBECONFIG's first file that
// exists, else its last; without $KUBECONFIG, ~/.kube/config) and made current; removed again
// at `knet down`. Pure text in, text out, through the `yaml` library's document model, so
// every other entry, comment and key order in the file stays as it was.
import { Document, isMap, isSeq, parseDocument, type YAMLSeq } from 'yaml';

/** What kubectl needs to reach a cluster: where, whom to trust, who it is. */
export interface ClusterAccess {
  /** The cluster, user and context name: `knet-<cluster>`. */
  readonly name: string;
  readonly server: string;
  readonly caPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

export function contextName(cluster: string): string {
  return `knet-${cluster}`;
}

/** The files kubectl reads, in order: $KUBECONFIG's list (empty and repeated entries dropped), else ~/.kube/config. */
export function kubeconfigPaths(env: { readonly KUBECONFIG?: string | undefined; readonly HOME?: string | undefined }, home: string): string[] {
  const listed = [...new Set((env.KUBECONFIG ?? '').split(':').filter((p) => p !== ''))];
  return listed.length > 0 ? listed : [`${env.HOME || home}/.kube/config`];
}

/** The file a new entry goes into: the first that exists, else the last (client-go's GetDefaultFilename). */
export function kubeconfigForMerge(paths: readonly string[], exists: (path: string) => boolean): string {
  if (paths.length === 0) throw new Error('no kubeconfig path');
  return paths.find(exists) ?? paths[paths.length - 1]!;
}

function b64(pem: string): string {
  return Buffer.from(pem).toString('base64');
}

/** The three entries, keys in the order kubectl writes them. */
function entries(a: ClusterAccess): { cluster: object; user: object; context: object } {
  return {
    cluster: { cluster: { 'certificate-authority-data': b64(a.caPem), server: a.server }, name: a.name },
    context: { context: { cluster: a.name, user: a.name }, name: a.name },
    user: { name: a.name, user: { 'client-certificate-data': b64(a.clientCertPem), 'client-key-data': b64(a.clientKeyPem) } },
  };
}

/** Long base64 lines stay whole (kubectl's files never fold them); sequences as kubectl indents them unless the file does otherwise. */
function render(doc: Document, original: string): string {
  const indentSeq = /^(clusters|contexts|users):\r?\n[ ]+- /m.test(original);
  return doc.toString({ lineWidth: 0, indentSeq });
}

/** A kubeconfig of its own, current context set (`knet kubeconfig`, as `kind get kubeconfig`). */
export function standaloneKubeconfig(a: ClusterAccess): string {
  const e = entries(a);
  const doc = new Document({ apiVersion: 'v1', clusters: [e.cluster], contexts: [e.context], 'current-context': a.name, kind: 'Config', preferences: {}, users: [e.user] });
  return render(doc, '');
}

/** A kubeconfig's text that is not one: what kubectl says of it. */
export class KubeconfigError extends Error {}

function load(text: string, path: string): Document {
  const doc = parseDocument(text);
  const problem = doc.errors[0];
  if (problem) throw new KubeconfigError(`error loading config file "${path}": ${problem.message.split('\n')[0]}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new KubeconfigError(`error loading config file "${path}": not a mapping of keys to values`);
  for (const key of SECTIONS) {
    const v = doc.get(key, true);
    if (v !== undefined && v !== null && !isSeq(v) && !(typeof v === 'object' && 'value' in v && v.value === null)) {
      throw new KubeconfigError(`error loading config file "${path}": ${key} is not a list`);
    }
  }
  return doc;
}

const SECTIONS = ['clusters', 'contexts', 'users'] as const;
type Section = (typeof SECTIONS)[number];
const ENTRY: Record<Section, 'cluster' | 'context' | 'user'> = { clusters: 'cluster', contexts: 'context', users: 'user' };

function sectionOf(doc: Document, key: Section): YAMLSeq | null {
  const v = doc.get(key, true);
  return isSeq(v) ? v : null;
}

function indexByName(seq: YAMLSeq, name: string): number {
  return seq.items.findIndex((it) => isMap(it) && it.get('name') === name);
}

/** `text` (null or empty: no file yet) with the cluster's entries added or replaced and its context current. */
export function mergeAccess(text: string | null, a: ClusterAccess, path = 'kubeconfig'): string {
  const blank = text === null || text.trim() === '';
  if (blank) return standaloneKubeconfig(a);
  const doc = load(text, path);
  if (doc.contents === null) return standaloneKubeconfig(a);
  const e = entries(a);
  for (const key of SECTIONS) {
    const node = doc.createNode(e[ENTRY[key]]);
    const seq = sectionOf(doc, key);
    if (!seq) {
      doc.set(key, doc.createNode([e[ENTRY[key]]]));
      continue;
    }
    const at = indexByName(seq, a.name);
    if (at >= 0) seq.items[at] = node;
    else seq.items.push(node);
  }
  doc.set('current-context', a.name);
  return render(doc, text);
}

/**
 * `text` without the entries named `name`, and with current-context emptied if it was that
 * context (kind's delete); null when the file holds none of them (left untouched).
 */
export function removeAccess(text: string, name: string, path = 'kubeconfig'): string | null {
  if (text.trim() === '') return null;
  const doc = load(text, path);
  if (doc.contents === null) return null;
  let changed = false;
  for (const key of SECTIONS) {
    const seq = sectionOf(doc, key);
    const at = seq ? indexByName(seq, name) : -1;
    if (seq && at >= 0) {
      seq.items.splice(at, 1);
      changed = true;
    }
  }
  if (doc.get('current-context') === name) {
    doc.set('current-context', '');
    changed = true;
  }
  return changed ? render(doc, text) : null;
}

/** The current context a kubeconfig names ('' when none). */
export function currentContext(text: string): string {
  const v = parseDocument(text).get('current-context');
  return typeof v === 'string' ? v : '';
}
