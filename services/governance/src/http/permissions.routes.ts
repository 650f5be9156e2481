import { permissions } from '@elcorp/contracts';
import type { App } from '@elcorp/kit';
import { z } from 'zod';

const catalogue = z.object({ permissions: z.array(z.string()) });

/**
 * The permission catalogue (API.md, Governance): any signed-in user may read it, to know what
 * roles can grant. Registered inside protectedRoutes, so the caller is verified before this runs.
 */
export function registerPermissionRoutes(scope: App): void {
  scope.get('/permissions', { schema: { tags: ['governance'], response: { 200: catalogue } } }, async () => ({ permissions: [...permissions] }));
}
