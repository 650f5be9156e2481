export { EventConsumer, PermanentEventError, type ConsumerOptions, type EventHandler, type SettledOutcome } from './consumer.js';
export { deadLetterHeaders, publishDeadLetter } from './dead-letter.js';
export { MessagingMetrics } from './metrics.js';
export { messagingMigrations } from './migrations.js';
export { outboxChannel } from './outbox.js';
export { eventsPerUnitMax, openUnitOfWork, unitOfWork, type RunInUnitOfWork, type UnitOfWork, type UnitOfWorkOptions } from './unit-of-work.js';
export { OutboxRelay, type RelayOptions } from './relay.js';
export { ensureStreams } from './streams.js';
export type { InboxTable, MessagingTables, OutboxTable } from './tables.js';
export { contextFromHeaders, currentTraceHeaders } from './tracing.js';
export { startMessaging, type MessagingRuntime, type MessagingRuntimeOptions } from './runtime.js';
export {
  DeadLetterError,
  deadLetterBodyBytesMax,
  deadLetterPageLimitMax,
  inspectDeadLetter,
  listDeadLetters,
  replayDeadLetter,
  type DeadLetter,
  type DeadLetterErrorCode,
  type DeadLetterPage,
  type DeadLetterSummary,
  type ListDeadLettersOptions,
  type ReplayResult,
} from './dead-letters.js';
export { attachMessaging, type AttachOptions, type MessagingConfig, type MessagingInfrastructure } from './service.js';
