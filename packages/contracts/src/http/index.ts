// Public HTTP shapes (API.md): one file per context plus what they share. Services build their
// route schemas from these; the SDK takes its types from them (type-only, no runtime cost).
// A context adds `<context>.ts` (fields `…Schema`, requests `…Body` / `…Query` / `…Params`,
// responses `…Schema`, and their types: z.infer for responses, z.input for requests), exports
// it below, and lists its codes in `publicErrorCodes` (errors.ts).
export * from './common.js';
export * from './errors.js';
export * from './governance.js';
export * from './identity.js';
export * from './money.js';
