// Kept for code written against it before the resource registry (src/api/registry.ts):
// the resources whose objects the API serves. New code imports the registry.
import { resourceByKind, resourceFor, RESOURCE_TYPES, servesObjects, type ResourceType } from '../api/registry.js';

export { resourcePath } from '../api/registry.js';

export type ApiResource = ResourceType;

export const API_RESOURCES: readonly ApiResource[] = RESOURCE_TYPES.filter(servesObjects);

export function findApiResource(group: string, version: string, plural: string): ApiResource | undefined {
  const r = resourceFor(group, version, plural);
  return r && servesObjects(r) ? r : undefined;
}

export function resourceOfKind(kind: string): ApiResource | undefined {
  const r = resourceByKind(kind);
  return r && servesObjects(r) ? r : undefined;
}
