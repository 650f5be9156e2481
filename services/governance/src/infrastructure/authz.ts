import type { BrokerNames } from '@elcorp/contracts';
import { buildBundle, publishBundle, StaleBundleError, validatePolicy, type Authorizer } from '@elcorp/authz';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BundleSink, Explainer, PermissionCheck, PolicyValidator } from '../application/ports.js';

/** Governance's ports onto @elcorp/authz: the fleet's Cedar decisions, validator and KV bundle. */
export function authzAdapters(authorizer: Authorizer, nats: NatsConnection, names: BrokerNames): { can: PermissionCheck; explain: Explainer; validatePolicy: PolicyValidator; bundleSink: BundleSink } {
  return {
    can: (caller, action, resource) =>
      authorizer.decide({
        principal: { userId: caller.userId, roles: caller.roles },
        action,
        resource: { type: resource.type, id: resource.id, attributes: resource.owner ? { owner: resource.owner } : {} },
      }).decision === 'allow',
    explain: (query) =>
      authorizer.decide({
        principal: query.principal,
        action: query.action as Parameters<Authorizer['decide']>[0]['action'],
        resource: query.resource as Parameters<Authorizer['decide']>[0]['resource'],
        ...(query.context ? { context: query.context } : {}),
      }),
    validatePolicy: (id, source) => {
      const check = validatePolicy(source, id);
      return check.ok ? [] : check.errors.map((message) => ({ path: 'body.source', message }));
    },
    bundleSink: async (bundle) => {
      const built = buildBundle({ version: bundle.version, roles: bundle.roles, policies: bundle.policies, createdAt: new Date(bundle.createdAt) });
      try {
        await publishBundle(nats, names, built);
      } catch (err) {
        // The bucket already holds this version or a later one (another replica put it): nothing to do.
        if (!(err instanceof StaleBundleError)) throw err;
      }
      // This replica decides with what it just saved at once (an admin's next /authorize sees
      // it); the watch brings it to the others, and ignores it here as not newer.
      if (built.version > authorizer.version) authorizer.load(built);
    },
  };
}
