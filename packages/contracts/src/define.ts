import type { z } from 'zod';
import type { EventSource } from './envelope.js';

/**
 * One version of one event type. `pii` names the data fields holding personal data, checked
 * against the schema's keys at compile time so a renamed field cannot silently drop its mark.
 */
export interface EventDefinition<
  T extends string = string,
  S extends z.ZodObject = z.ZodObject,
> {
  type: T;
  version: number;
  source: EventSource;
  data: S;
  pii: ReadonlyArray<keyof z.infer<S> & string>;
}

export function defineEvent<T extends string, S extends z.ZodObject>(definition: {
  type: T;
  version: number;
  data: S;
  pii?: ReadonlyArray<keyof z.infer<S> & string>;
}): EventDefinition<T, S> {
  const source = definition.type.split('.')[0] as EventSource;
  return { ...definition, source, pii: definition.pii ?? [] };
}
