// `knet get`: objects as the cluster would hold them, with kubectl's flags, columns and
// output formats.
import type { Cluster } from '../cluster/fill-in.js';
import type { Service } from '../model/types.js';
import { toWire, type AnyObject } from '../cluster/wire.js';
import { matchesSelector, parseSelectorString, type Selector } from '../model/labels.js';
import { groupVersionResourceText, keptResource, resourceByName, resourcesInCategory, RESOURCE_TYPES, type ResourceType } from '../api/registry.js';
import { matchesFields, parseFieldSelector, unsupportedField, type FieldRequirement } from './field-selector.js';
import { Option, type Command } from 'commander';
import { CliError, toJson, toYaml, type Io } from './output.js';
import { loadFrom, withSource } from './source.js';
import { buildTable, renderTable } from './tables.js';
import { ingressEventsBlock } from './events-view.js';
import { compareText } from '../model/order.js';

export interface GetOptions {
  readonly namespace: string; // '' = the default namespace
  readonly allNamespaces: boolean;
  readonly selector: string;
  readonly fieldSelector?: string; // kubectl's --field-selector
  readonly output: string; // '' | wide | yaml | json | name
  readonly showLabels: boolean;
}

const OUTPUTS = ['', 'wide', 'yaml', 'json', 'name'];

export function registerGet(program: Command, io: Io): void {
  withSource(program
    .command('get')
    .description('show objects as the cluster would hold them (pods with IPs and nodes, services with ClusterIPs, endpointslices, ...)')
    .argument('[resources...]', 'TYPE[,TYPE...] [NAME...] or TYPE/NAME ... (e.g. pods, svc, ep, ing, netpol, no, all)'))
    .option('-n, --namespace <ns>', 'the namespace to list', '')
    .option('-A, --all-namespaces', 'list across all namespaces', false)
    .option('-l, --selector <selector>', 'label selector, e.g. app=api,tier!=db', '')
    .option('--field-selector <selector>', 'field selector, e.g. spec.nodeName=node-1,status.phase!=Running (the fields kubectl supports)', '')
    .addOption(new Option('-o, --output <format>', 'output format: wide, yaml, json or name').default(''))
    .option('--show-labels', 'show labels as the last column', false)
    .action((resources: string[], o: { filename: string[]; namespace: string; allNamespaces: boolean; selector: string; fieldSelector: string; output: string; showLabels: boolean }) => {
      const cluster = loadFrom(io, o.filename);
      runGet(io, cluster, resources, {
        namespace: o.namespace, allNamespaces: o.allNamespaces, selector: o.selector, fieldSelector: o.fieldSelector, output: o.output, showLabels: o.showLabels,
      });
    });
}

export function runGet(io: Io, cluster: Cluster, args: readonly string[], opts: GetOptions, now = Date.now()): void {
  if (!OUTPUTS.includes(opts.output)) {
    throw new CliError(`error: unable to match a printer suitable for the output format "${opts.output}", allowed formats are: json,name,wide,yaml`);
  }
  if (args.length === 0) {
    throw new CliError(`error: you must specify the type of resource to get. Use "knet get pods", "knet get svc", ...\nknown types: ${RESOURCE_TYPES.map((r) => r.plural).join(', ')}`);
  }
  let selector: Selector | null = null;
  if (opts.selector) {
    const parsed = parseSelectorString(opts.selector);
    if ('error' in parsed) throw new CliError(`error: ${parsed.error} in -l "${opts.selector}"`);
    selector = parsed;
  }
  let fields: FieldRequirement[] = [];
  if (opts.fieldSelector) {
    const parsed = parseFieldSelector(opts.fieldSelector);
    if ('error' in parsed) throw new CliError(`error: ${parsed.error}`);
    fields = parsed;
  }

  // Forms: `get pods`, `get pods,svc`, `get pod NAME...`, `get pod/NAME svc/NAME`, `get all`.
  const requests: { resource: ResourceType; names: string[] }[] = [];
  if (args.some((a) => a.includes('/'))) {
    for (const a of args) {
      const [type, name] = a.split('/', 2);
      if (!name) throw new CliError(`error: arguments in resource/name form must have a single resource and name`);
      requests.push({ resource: resolve(cluster, type!), names: [name] });
    }
  } else {
    const types = args[0]!.split(',').flatMap((t) => (t === 'all' ? resourcesInCategory('all').map((r) => r.plural) : [t]));
    const names = args.slice(1);
    if (names.length && types.length > 1) throw new CliError('error: you may only specify a single resource type when naming objects');
    for (const t of types) requests.push({ resource: resolve(cluster, t), names });
  }

  const ns = opts.namespace || 'default';
  const found: { resource: ResourceType; objects: AnyObject[] }[] = [];
  const missing: string[] = [];
  for (const { resource, names } of requests) {
    let objects = resource.list(cluster).filter((o) => !resource.namespaced || opts.allNamespaces || o.meta.namespace === ns);
    if (selector) objects = objects.filter((o) => matchesSelector(selector!, o.meta.labels));
    if (fields.length) {
      // The API server refuses the whole list request, as kubectl shows it.
      const refused = unsupportedField(resource.kind, fields);
      if (refused) {
        throw new CliError(`Error from server (BadRequest): Unable to find ${JSON.stringify(groupVersionResourceText(resource))} that match label selector ${JSON.stringify(opts.selector)}, field selector ${JSON.stringify(opts.fieldSelector)}: ${refused}`);
      }
      objects = objects.filter((o) => matchesFields(resource.kind, o, fields));
    }
    if (names.length) {
      const picked: AnyObject[] = [];
      for (const n of names) {
        const o = objects.find((x) => x.meta.name === n);
        if (o) picked.push(o);
        else missing.push(`Error from server (NotFound): ${resource.plural} "${n}" not found`);
      }
      objects = picked;
    } else {
      objects.sort((a, b) => compareText(a.meta.namespace, b.meta.namespace) || compareText(a.meta.name, b.meta.name));
    }
    found.push({ resource, objects });
  }

  const all = found.flatMap((f) => f.objects);
  const single = requests.length === 1 && requests[0]!.names.length === 1 && all.length === 1;
  switch (opts.output) {
    case 'json':
    case 'yaml': {
      const wire = found.flatMap((f) => f.objects.map((o) => (f.resource.wire ? f.resource.wire(o, cluster) : toWire(o))));
      const doc = single ? wire[0] : { apiVersion: 'v1', items: wire, kind: 'List', metadata: { resourceVersion: '' } };
      if (all.length || !missing.length) io.out(opts.output === 'json' ? toJson(doc) : toYaml(doc));
      break;
    }
    case 'name':
      for (const f of found) for (const o of f.objects) io.out(`${f.resource.singular}${f.resource.group ? `.${f.resource.group}` : ''}/${o.meta.name}`);
      break;
    default: {
      const showKind = found.length > 1;
      const blocks: string[] = [];
      for (const f of found) {
        if (f.objects.length === 0) continue;
        blocks.push(renderTable(buildTable(f.resource.kind, f.resource.plural, f.objects, cluster, {
          wide: opts.output === 'wide', showNamespace: opts.allNamespaces && f.resource.namespaced,
          showLabels: opts.showLabels, showKind,
        }, now)));
      }
      if (blocks.length) io.out(blocks.join('\n\n'));
      for (const f of found) {
        const events = ingressEventsBlock(f.resource.kind, f.objects, cluster, now);
        if (events) io.out(events);
      }
    }
  }
  for (const m of missing) io.err(m);
  if (all.length === 0 && missing.length === 0) {
    const namespaced = requests.some((r) => r.resource.namespaced);
    io.err(namespaced && !opts.allNamespaces ? `No resources found in ${ns} namespace.` : 'No resources found');
  }
  if (missing.length) throw new CliError('', 1);
}

function resolve(cluster: Cluster, type: string): ResourceType {
  const r = resourceByName(type) ?? keptResource(cluster, type);
  if (!r) throw new CliError(`error: the server doesn't have a resource type "${type}"\nknown types: ${RESOURCE_TYPES.map((x) => x.plural).join(', ')}`);
  return r;
}
