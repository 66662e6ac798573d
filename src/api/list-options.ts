// A list or watch request's query, as kube-apiserver reads it: labelSelector, fieldSelector,
// limit and continue, resourceVersion and resourceVersionMatch, watch's allowWatchBookmarks and
// timeoutSeconds. Parsed once, refused in the API server's words (400 BadRequest).
import { parseSelectorString, type Selector } from '../model/labels.js';
import { parseFieldSelector, unsupportedField, type FieldRequirement } from './field-selectors.js';

type Json = Record<string, unknown>;

import { isApiError, type ApiError } from './api-error.js';
import { invalidStatus } from './invalid.js';

export { isApiError, type ApiError };

export function badRequest(message: string): ApiError {
  return { code: 400, reason: 'BadRequest', message };
}

/** Where a paged list goes on: the snapshot's resourceVersion and the last key it returned. */
export interface ContinueToken {
  readonly resourceVersion: number;
  readonly after: string;
}

export type ResourceVersionMatch = '' | 'NotOlderThan' | 'Exact';

export interface Filter {
  readonly namespace: string; // '' = every namespace
  readonly labels: Selector | null;
  readonly fields: readonly FieldRequirement[];
}

export interface ListOptions extends Filter {
  readonly limit: number; // 0 = all
  readonly continue: ContinueToken | null;
  readonly resourceVersion: string; // '' = the latest
  readonly resourceVersionMatch: ResourceVersionMatch;
}

export interface WatchOptions extends Filter {
  readonly resourceVersion: string; // '' or '0': the current objects first, as ADDED
  readonly allowWatchBookmarks: boolean;
  readonly timeoutSeconds: number; // 0 = none
  /**
   * The current objects as ADDED first, then (with bookmarks) a BOOKMARK annotated
   * `k8s.io/initial-events-end`: the streaming list (WatchList) client-go's informers ask for.
   * Unset: as before WatchList, the current objects first only from resourceVersion '' or '0'.
   */
  readonly sendInitialEvents?: boolean;
  /** Called once when the store ends the watch (its timeout, or an ERROR event). */
  readonly onEnd?: () => void;
}

export const NO_FILTER: Filter = { namespace: '', labels: null, fields: [] };

/** The selectors of a list or a watch; `kind` decides which fields may be selected on. */
export function parseFilter(q: URLSearchParams, kind: string, namespace: string): Filter | ApiError {
  let labels: Selector | null = null;
  const labelText = q.get('labelSelector') ?? '';
  if (labelText.trim()) {
    const parsed = parseSelectorString(labelText);
    if ('error' in parsed) return badRequest(parsed.error);
    labels = parsed.requirements.length ? parsed : null;
  }
  let fields: FieldRequirement[] = [];
  const fieldText = q.get('fieldSelector') ?? '';
  if (fieldText.trim()) {
    const parsed = parseFieldSelector(fieldText);
    if ('error' in parsed) return badRequest(parsed.error);
    const refused = unsupportedField(kind, parsed);
    if (refused) return badRequest(refused);
    fields = parsed;
  }
  return { namespace, labels, fields };
}

export function parseListOptions(q: URLSearchParams, kind: string, namespace: string): ListOptions | ApiError {
  const filter = parseFilter(q, kind, namespace);
  if (isApiError(filter)) return filter;
  const limitText = q.get('limit') ?? '';
  const limit = limitText === '' ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) return badRequest(`limit: Invalid value: ${JSON.stringify(limitText)}: must be a non-negative integer`);
  const resourceVersion = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  if (match !== '' && match !== 'NotOlderThan' && match !== 'Exact') {
    return badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan", ""`);
  }
  if (match && !resourceVersion) return badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (match === 'Exact' && resourceVersion === '0') return badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  if (resourceVersion && !/^\d+$/.test(resourceVersion)) return badRequest(`resourceVersion: Invalid value: ${JSON.stringify(resourceVersion)}: must be a number`);
  const continueText = q.get('continue') ?? '';
  let token: ContinueToken | null = null;
  if (continueText) {
    if (resourceVersion && resourceVersion !== '0') return badRequest('specifying resource version is not allowed when using continue');
    const decoded = decodeContinue(continueText);
    if ('error' in decoded) return badRequest(`continue key is not valid: ${decoded.error}`);
    token = decoded;
  }
  return { ...filter, limit, continue: token, resourceVersion, resourceVersionMatch: match };
}

export function parseWatchOptions(q: URLSearchParams, kind: string, namespace: string): WatchOptions | ApiError {
  const filter = parseFilter(q, kind, namespace);
  if (isApiError(filter)) return filter;
  const resourceVersion = q.get('resourceVersion') ?? '';
  if (resourceVersion && !/^\d+$/.test(resourceVersion)) return badRequest(`resourceVersion: Invalid value: ${JSON.stringify(resourceVersion)}: must be a number`);
  const timeoutText = q.get('timeoutSeconds') ?? '';
  const timeoutSeconds = timeoutText === '' ? 0 : Number(timeoutText);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) return badRequest(`timeoutSeconds: Invalid value: ${JSON.stringify(timeoutText)}: must be a non-negative number`);
  const bookmarks = q.get('allowWatchBookmarks') ?? '';
  const initial = watchListOptions(q);
  if (isApiError(initial)) return initial;
  return { ...filter, resourceVersion, allowWatchBookmarks: bookmarks === 'true' || bookmarks === '1', timeoutSeconds, ...initial };
}

/**
 * `sendInitialEvents` and `resourceVersionMatch` of a watch, under kube-apiserver 1.32's rules
 * (WatchList on): each needs the other, the match must be NotOlderThan, and not with `continue`.
 * A watch from '' or '0' that names neither is defaulted to both, as the API server defaults it.
 */
function watchListOptions(q: URLSearchParams): { sendInitialEvents?: boolean } | ApiError {
  const text = q.get('sendInitialEvents');
  const send = text === null ? undefined : text === 'true' || text === '1';
  const match = q.get('resourceVersionMatch') ?? '';
  const errors: { field: string; message: string }[] = [];
  const forbid = (message: string) => errors.push({ field: 'resourceVersionMatch', message: `Forbidden: ${message}` });
  if (send !== undefined && match !== 'NotOlderThan') forbid('sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  if (match) {
    if (send === undefined) forbid('resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    if (match !== 'NotOlderThan') errors.push({ field: 'resourceVersionMatch', message: `Unsupported value: ${JSON.stringify(match)}: supported values: "NotOlderThan"` });
    if (q.get('continue')) forbid('resourceVersionMatch is forbidden when continue is provided');
  }
  if (errors.length > 0) return invalidStatus('ListOptions', 'meta.k8s.io', '', errors);
  return send === undefined ? {} : { sendInitialEvents: send };
}

/** Whether a query asks for a watch (`?watch=true`, `?watch=1`). */
export function wantsWatch(q: URLSearchParams): boolean {
  const w = q.get('watch');
  return w === 'true' || w === '1';
}

/** The opaque `continue` of a paged list (base64 of JSON, as kube-apiserver's). */
export function encodeContinue(t: ContinueToken): string {
  const bytes = new TextEncoder().encode(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.resourceVersion, start: `${t.after}\u0000` }));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeContinue(text: string): ContinueToken | { error: string } {
  let parsed: unknown;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    parsed = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return { error: 'illegal base64 data or not JSON' };
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (t.v !== 'meta.k8s.io/v1') return { error: 'got invalid API version' };
  if (typeof t.rv !== 'number' || !Number.isInteger(t.rv) || t.rv < 1) return { error: 'incorrect encoded start resourceVersion (version meta.k8s.io/v1)' };
  if (typeof t.start !== 'string' || !t.start.endsWith('\u0000')) return { error: 'encoded start key is not valid' };
  return { resourceVersion: t.rv, after: t.start.slice(0, -1) };
}
