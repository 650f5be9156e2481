import { Counter, Gauge, Registry } from 'prom-client';

/** Bundle metrics in the service's registry; several watchers in one registry share them. */
export class AuthzMetrics {
  readonly loads: Counter<'outcome'>;
  readonly version: Gauge;

  constructor(registry: Registry = new Registry()) {
    this.loads =
      (registry.getSingleMetric('elcorp_authz_bundle_loads_total') as Counter<'outcome'> | undefined) ??
      new Counter({ name: 'elcorp_authz_bundle_loads_total', help: 'Policy bundles received, by outcome (applied, refused, ignored)', labelNames: ['outcome'], registers: [registry] });
    this.version =
      (registry.getSingleMetric('elcorp_authz_bundle_version') as Gauge | undefined) ??
      new Gauge({ name: 'elcorp_authz_bundle_version', help: 'Version of the policy bundle in force (0: the built-in system bundle)', registers: [registry] });
  }
}
