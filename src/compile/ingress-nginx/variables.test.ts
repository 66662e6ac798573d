// The variables the prediction says knet's controller configuration defines
// (core/ingress/nginx-variables.ts CONTROLLER_VARIABLES) are defined in the configuration
// compile/ingress-nginx writes: a `map` or `set` target, or a named capture of its regexes.
// Otherwise `knet diagnose` would pass an annotation that nginx -t then refuses.
import { describe, expect, it } from 'vitest';
import { routeTableOf } from '../../core/ingress/index.js';
import { CONTROLLER_VARIABLES } from '../../core/ingress/nginx-variables.js';
import { paths } from '../../core/ingress/test-support/route-cases.js';
import { ing, shopCluster } from '../../core/ingress/test-support/world.js';
import { compileIngressNginx } from './compile.js';

function definedIn(conf: string): Set<string> {
  const out = new Set<string>();
  for (const m of conf.matchAll(/\b(?:map\s+\S+|set|geo|split_clients\s+\S+)\s+\$(\w+)/g)) out.add(m[1]!.toLowerCase());
  for (const m of conf.matchAll(/\(\?P?<(\w+)>/g)) out.add(m[1]!.toLowerCase());
  return out;
}

describe('the variables the prediction counts on are in the configuration', () => {
  it('a one-Ingress cluster defines every controller variable', () => {
    const c = shopCluster(ing('a', paths('a.shop.com', ['/', 'web'])));
    const conf = compileIngressNginx({ table: routeTableOf(c), secrets: c.secrets, fakeCertificate: '', resolvers: [] }).conf;
    const defined = definedIn(conf);
    expect([...CONTROLLER_VARIABLES].filter((v) => !defined.has(v))).toEqual([]);
  });
});
