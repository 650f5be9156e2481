/** The parts of a finished OpenTelemetry span a trace assertion needs (ReadableSpan has them). */
export interface SpanLink {
  spanContext(): { spanId: string };
  parentSpanContext?: { spanId: string } | undefined;
}

/** True when `span` sits under `ancestor` in the parent chain formed by `spans`. */
export function descendsFrom(span: SpanLink, ancestor: SpanLink, spans: readonly SpanLink[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  let parentId = span.parentSpanContext?.spanId;
  const seen = new Set<string>();
  while (parentId && !seen.has(parentId)) {
    if (parentId === ancestor.spanContext().spanId) return true;
    seen.add(parentId);
    parentId = byId.get(parentId)?.parentSpanContext?.spanId;
  }
  return false;
}
