export { bootService, type BootedService, type BootServiceOptions, type ServiceDeps } from './boot.js';
