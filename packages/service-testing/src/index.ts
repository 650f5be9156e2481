export { bootService, type BootedService } from './boot.js';
