export { bootService, type BootedService } from './boot.js';
export { testTokenIssuer, type TestCaller, type TestTokenIssuer } from './token-issuer.js';
export { serviceAuthSuite, type AuthSuiteContext, type AuthSuiteOptions } from './auth-suite.js';
