import { permissions } from '@elcorp/contracts';
import { permissionsSchema } from '@elcorp/contracts/http';
import type { App } from '@elcorp/kit';

/**
 * The permission catalogue (API.md, Governance): any signed-in user may read it, to know what
 * roles can grant. Registered inside protectedRoutes, so the caller is verified before this runs.
 */
export function registerPermissionRoutes(scope: App): void {
  scope.get('/permissions', { schema: { tags: ['governance'], response: { 200: permissionsSchema } } }, async () => ({ permissions: [...permissions] }));
}
