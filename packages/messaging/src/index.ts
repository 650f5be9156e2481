export {
  EventConsumer,
  PermanentEventError,
  type ConsumerOptions,
  type ConsumerTuning,
  type Delivery,
  type EventSink,
  type SettledOutcome,
  type SinkResult,
} from './consumer.js';
export { followEvents, type FollowOptions, type Following } from './follow.js';
export { followKeyWithdrawals, type FollowerInfrastructure, type WithdrawableKeys } from './key-withdrawals.js';
export { inboxSink, type InboxHandler, type InboxSinkOptions } from './inbox-sink.js';
export { durableName, isEventOf, on, sourceOf, subscriptionConsumer, type Subscription, type SubscriptionConsumerDeps } from './subscriptions.js';
export { deadLetterHeaders, publishDeadLetter } from './dead-letter.js';
export { MessagingMetrics } from './metrics.js';
export { messagingMigrations } from './migrations.js';
export { onOutboxCommit } from './commit-signal.js';
export { eventsPerUnitMax, oneStatementUnitOfWork, openUnitOfWork, unitOfWork, type RunInUnitOfWork, type UnitOfWork, type UnitOfWorkOptions } from './unit-of-work.js';
export { OutboxRelay, type RelayOptions } from './relay.js';
export { ensureStreams } from './streams.js';
export type { InboxTable, MessagingTables, OutboxTable } from './tables.js';
export { contextFromHeaders, currentTraceHeaders } from './tracing.js';
export { startMessaging, type MessagingRuntime, type MessagingRuntimeOptions, type SettledObserver } from './runtime.js';
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
export { attachMessaging, messagingOf, type AttachOptions, type MessagingConfig, type MessagingInfrastructure } from './service.js';
