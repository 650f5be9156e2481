export { buildApp, defaultBodyLimitBytes, type App, type BuildAppOptions } from './app.js';
export { ConfigError, baseConfigShape, databaseUrl, loadConfig, natsConfigShape, natsCredentialsOf, natsUrl, port, redisUrl } from './config.js';
export { AppError, kitErrors, type AppErrorOptions, type FieldError } from './errors.js';
export { problemContentType } from './error-handler.js';
export {
  clientAddressHeader,
  clientAddressSignatureHeader,
  clientAddressSignatureMaxAgeMs,
  developmentClientAddressSecret,
  publicClientAddressSecrets,
  signClientAddress,
  verifiedClientAddress,
} from './client-address.js';
export { isDependencyUnavailable } from './dependency-errors.js';
export { byteOrderMark, byteOrderMarkError, findUnsafeInput, maxInputDepth, unsafeTextReason } from './input-rules.js';
export { registerHealth, type HealthCheck } from './health.js';
export { createLogger, redactedPaths, type LoggerOptions } from './logger.js';
export { problemTypeBase, toProblem, type Problem } from './problem.js';
export { requestIdHeader } from './request-id.js';
export { pathOf } from './url-path.js';
export { isTimedSignature, signTimed, type SignedMessage } from './timed-signature.js';
export { serve, shutdown, type ServeOptions, type ShutdownResult } from './shutdown.js';
export { openService, startService, type OpenService, type RuntimeConfig, type ServiceContext, type ServiceDefinition } from './start.js';
export { connectNats, connectRedis, natsHealth, redisHealth, type NatsCredentials } from './connections.js';
export { openInfrastructure, type Infrastructure, type InfrastructureOptions, type MigrationSet } from './infrastructure.js';
export type { Logger } from 'pino';
export { shutdownTelemetry, startTelemetry, type OtlpProtocol, type Telemetry, type TelemetryOptions } from './telemetry.js';
export { CommandFailure, UsageError, operatorMain, positionals, runOperatorCommand, userIdArgument, type CliStreams, type OperatorCommand } from './cli.js';
export { dpopSecurity, dpopSecurityScheme, dpopSecuritySchemeName, documentedAsDpop, problemSchemaName, requireDpopInDocument, withProblemResponses } from './openapi.js';
