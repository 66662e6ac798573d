// The ingress-nginx annotations of each Ingress that knet does not carry out: snippets (off, as
// ingress-nginx's default allow-snippet-annotations: false has them) and any other
// `nginx.ingress.kubernetes.io/*` key outside core/ingress's table. A warning at the
// annotation's own line, so `knet apply`, `knet up` and `knet diagnose` say it, never silence.
import { annotationVerdict } from '../core/ingress/annotation-table.js';
import type { Issue } from '../model/issue.js';
import type { Ingress } from '../model/types.js';
import { issueAt } from './issues.js';

export function ingressAnnotationIssues(ingresses: readonly Ingress[]): Issue[] {
  const out: Issue[] = [];
  for (const ing of ingresses) {
    for (const key of Object.keys(ing.meta.annotations).sort()) {
      const v = annotationVerdict(key);
      if (!v || v.kind === 'implemented') continue;
      out.push(v.kind === 'snippet'
        ? issueAt(ing, ['metadata', 'annotations', key], 'ingress-annotation-snippet', 'warning', v.message,
          'express it with the annotations knet implements (the table in core/ingress/README.md), or set allow-snippet-annotations: "true" in a real controller and accept the risk')
        : issueAt(ing, ['metadata', 'annotations', key], 'ingress-annotation-unsupported', 'warning', v.message,
          'remove it, or expect a real ingress-nginx to behave differently from knet\'s prediction and nginx here'));
    }
  }
  return out;
}
