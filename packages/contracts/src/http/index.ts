// Public HTTP shapes (API.md): one file per context plus what they share. Services build their
// route schemas from these; the SDK takes its types from them (type-only, no runtime cost).
export * from './common.js';
export * from './errors.js';
export * from './identity.js';
export * from './money.js';
