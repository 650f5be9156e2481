export { bootService, type BootedService } from './boot.js';
export { testTokenIssuer, type TestCaller, type TestTokenIssuer } from './token-issuer.js';
