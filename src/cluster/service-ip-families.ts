// spec.ipFamilies of a Service that gets no ClusterIP to infer them from (a headless one),
// as the API server's initIPFamilyFields sets them: the families asked for, else the
// cluster's primary family (the first service subnet's); a policy other than SingleStack
// adds the other family, even on a single-stack cluster (headless Services may list both).
// Services with ClusterIPs take their families from them (services.ts).
import type { Family } from '../model/ip.js';
import type { Service } from '../model/types.js';

export function withHeadlessFamilies(services: readonly Service[], primary: Family): Service[] {
  return services.map((s) => {
    if (!s.headless || s.type === 'ExternalName') return s;
    const families: Family[] = s.ipFamilies.length ? [...s.ipFamilies] : [primary];
    if (families.length === 1 && s.ipFamilyPolicy !== 'SingleStack') families.push(families[0] === 4 ? 6 : 4);
    return families.length === s.ipFamilies.length ? s : { ...s, ipFamilies: families };
  });
}
