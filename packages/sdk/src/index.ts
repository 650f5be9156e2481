export { ElcorpClient, type ElcorpClientOptions, type RequestOptions } from './client.js';
export { FileDeviceKeyStore, MemoryDeviceKeyStore, type DeviceKeyPair, type DeviceKeyStore } from './device-key-store.js';
export {
  ElcorpApiError,
  ElcorpError,
  ElcorpNetworkError,
  ElcorpNotSignedInError,
  isApiError,
  isCode,
  type FieldError,
  type KnownErrorCode,
} from './errors.js';
export { maxPageLimit, type PageQuery } from './pages.js';
export { Payments } from './payments.js';
export { MemoryTokenStore, type StoredTokens, type TokenStore } from './tokens.js';
export type { QueryValue } from './transport.js';
export type * from './types.js';
