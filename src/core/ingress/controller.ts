// Which ingress controller knet plays, and how it is configured: ingress-nginx's flags
// (--controller-class, --ingress-class, --watch-ingress-without-class,
// --ingress-class-by-name, --default-ssl-certificate, --enable-ssl-passthrough, --configmap) read from its
// Deployment when the cluster has one, and the ConfigMap keys that change routing.
import { refOf, type ConfigMap, type Container, type Pod, type Ref, type Workload } from '../../model/types.js';
import { parseGoBool } from './annotations.js';

export interface ControllerConfig {
  readonly controllerClass: string; // IngressClass spec.controller it implements
  readonly ingressClass: string; // the kubernetes.io/ingress.class annotation value it accepts
  readonly watchWithoutClass: boolean;
  readonly ingressClassByName: boolean;
  readonly defaultCertificate: Ref | null; // --default-ssl-certificate; null: a self-signed fake
  readonly sslRedirect: boolean;
  readonly forceSslRedirect: boolean;
  readonly preserveTrailingSlash: boolean;
  readonly httpRedirectCode: number;
  readonly noTlsRedirectLocations: readonly string[];
  readonly proxyBodySize: string; // ConfigMap proxy-body-size: client_max_body_size
  readonly limitReqStatusCode: number; // ConfigMap limit-req-status-code: past limit-rps's burst
  readonly enableSslPassthrough: boolean; // --enable-ssl-passthrough: without it ssl-passthrough is ignored
  readonly source: string; // where the settings came from
}

export const INGRESS_NGINX_DEFAULTS: ControllerConfig = {
  controllerClass: 'k8s.io/ingress-nginx',
  ingressClass: 'nginx',
  watchWithoutClass: false,
  ingressClassByName: false,
  defaultCertificate: null,
  sslRedirect: true,
  forceSslRedirect: false,
  preserveTrailingSlash: false,
  httpRedirectCode: 308,
  noTlsRedirectLocations: ['/.well-known/acme-challenge'],
  proxyBodySize: '1m',
  limitReqStatusCode: 503,
  enableSslPassthrough: false,
  source: 'ingress-nginx defaults',
};

/** A container running ingress-nginx's controller: its image, or /nginx-ingress-controller in its args. */
export function isControllerContainer(c: Pick<Container, 'image' | 'args'>): boolean {
  return /ingress-nginx\/controller|nginx-ingress-controller/.test(c.image) || c.args.some((a) => a.includes('/nginx-ingress-controller'));
}

/** A pod of ingress-nginx's controller. Without one in the input, nothing serves the Ingresses. */
export function isControllerPod(pod: Pick<Pod, 'spec'>): boolean {
  return pod.spec.containers.some((c) => isControllerContainer({ image: c.image, args: [...c.command, ...c.args] }));
}

function isController(w: Workload): boolean {
  return w.template.spec.containers.some(isControllerContainer);
}

/** Reads the ingress-nginx Deployment's flags and ConfigMap; defaults when the cluster has none. */
export function controllerConfig(workloads: readonly Workload[], configMaps: readonly ConfigMap[]): ControllerConfig {
  const w = workloads.find((x) => (x.kind === 'Deployment' || x.kind === 'DaemonSet') && isController(x));
  if (!w) return INGRESS_NGINX_DEFAULTS;
  const ns = w.meta.namespace;
  const args = w.template.spec.containers.flatMap((c) => [...c.command, ...c.args])
    .map((a) => a.replace(/\$\(POD_NAMESPACE\)/g, ns));
  const flag = (name: string): string | undefined => {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!.replace(/^--?/, '');
      if (a === name) return args[i + 1] !== undefined && !args[i + 1]!.startsWith('-') ? args[i + 1] : 'true';
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
    }
    return undefined;
  };
  const boolFlag = (name: string, fallback: boolean) => {
    const v = flag(name);
    return v === undefined ? fallback : parseGoBool(v) ?? fallback;
  };
  const cert = flag('default-ssl-certificate');
  let config: ControllerConfig = {
    ...INGRESS_NGINX_DEFAULTS,
    controllerClass: flag('controller-class') ?? INGRESS_NGINX_DEFAULTS.controllerClass,
    ingressClass: flag('ingress-class') ?? INGRESS_NGINX_DEFAULTS.ingressClass,
    watchWithoutClass: boolFlag('watch-ingress-without-class', false),
    ingressClassByName: boolFlag('ingress-class-by-name', false),
    enableSslPassthrough: boolFlag('enable-ssl-passthrough', false),
    defaultCertificate: cert && cert.includes('/') ? refOf(cert.split('/')[0]!, cert.split('/')[1]!) : null,
    source: `${w.kind} ${ns}/${w.meta.name}`,
  };
  const cmRef = flag('configmap');
  const cm = cmRef ? configMaps.find((m) => `${m.meta.namespace}/${m.meta.name}` === cmRef) : undefined;
  if (cm) {
    const d = cm.data;
    const b = (k: string, fallback: boolean) => (d[k] === undefined ? fallback : parseGoBool(d[k]!) ?? fallback);
    config = {
      ...config,
      sslRedirect: b('ssl-redirect', config.sslRedirect),
      forceSslRedirect: b('force-ssl-redirect', config.forceSslRedirect),
      preserveTrailingSlash: b('preserve-trailing-slash', config.preserveTrailingSlash),
      httpRedirectCode: [301, 302, 307, 308].includes(Number(d['http-redirect-code'])) ? Number(d['http-redirect-code']) : config.httpRedirectCode,
      noTlsRedirectLocations: d['no-tls-redirect-locations'] !== undefined
        ? d['no-tls-redirect-locations'].split(',').map((s) => s.trim()).filter(Boolean)
        : config.noTlsRedirectLocations,
      proxyBodySize: d['proxy-body-size'] !== undefined && /^\d+[kKmMgG]?$/.test(d['proxy-body-size'].trim()) ? d['proxy-body-size'].trim() : config.proxyBodySize,
      limitReqStatusCode: /^[45]\d\d$/.test(d['limit-req-status-code'] ?? '') ? Number(d['limit-req-status-code']) : config.limitReqStatusCode,
      source: `${config.source}, ConfigMap ${cmRef}`,
    };
  }
  return config;
}
