export { actorPiiFields, actorSchema, envelopeSchema, eventSources, type Actor, type Envelope, type EventSource } from './envelope.js';
export { defineEvent, type EventDefinition } from './define.js';
export {
  catalogue,
  createEvent,
  definitionOf,
  InvalidEventError,
  parseEvent,
  type DomainEvent,
  type EventDataOf,
  type EventType,
  type NewEvent,
} from './catalogue.js';
export {
  deadLetterSubject,
  defaultStreamAges,
  defaultStreamMaxBytes,
  eventSubject,
  hoursToMs,
  inboxRetentionMsFor,
  productionNames,
  sourceSubjects,
  streamDefinitions,
  streamName,
  type BrokerNames,
  type StreamAges,
  type StreamDefinition,
} from './subjects.js';
export { uuidv7 } from './uuid.js';
export { revocationReasons } from './events/identity.js';
export { permissions, systemPermissionsOf, systemRoles, type Permission } from './permissions.js';
export * from './http/index.js';
