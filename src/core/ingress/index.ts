// The ingress layer's entry: the route table of the cluster's ingress-nginx controller.
import { leftOutByNginx } from '../../model/events.js';
import type { ConfigMap, OtherObject, Pod, Workload } from '../../model/types.js';
import { controllerConfig, isControllerPod } from './controller.js';
import { buildRouteTable, type RouteInput, type RouteTable } from './route-table.js';

export interface ClusterRouteInput extends RouteInput {
  readonly workloads: readonly Workload[];
  readonly configMaps: readonly ConfigMap[];
  /** Events of a running cluster (model/events.ts), when there are any. */
  readonly others?: readonly OtherObject[];
  /** The cluster's pods: whether a controller pod runs (without them, the controller is taken to run). */
  readonly pods?: readonly Pick<Pod, 'spec'>[];
}

/**
 * Builds the route table once per cluster, configured as the cluster's controller is. On a
 * running cluster, an Ingress the controllers left out because nginx refused the
 * configuration with it (its latest event) is not in the table, as it is not in nginx.
 */
export function routeTableOf(cluster: ClusterRouteInput): RouteTable {
  const left = cluster.others ? leftOutByNginx(cluster.others) : new Map();
  const ingresses = left.size ? cluster.ingresses.filter((i) => !left.has(`${i.meta.namespace}/${i.meta.name}`)) : cluster.ingresses;
  const running = cluster.pods ? cluster.pods.some(isControllerPod) : true;
  return buildRouteTable({ ...cluster, ingresses }, controllerConfig(cluster.workloads, cluster.configMaps), running);
}

export { matchRoute, type RouteDecision, type RouteRequest } from './match-route.js';
export { reachHost, type Reach } from './reach.js';
export type { RouteTable } from './route-table.js';
