import { Counter, Gauge, Registry } from 'prom-client';

/**
 * Messaging metrics, registered in the service's registry so /metrics shows them. Gauges
 * that need I/O (backlog, lag) are read at scrape time through the probes given later.
 */
export class MessagingMetrics {
  readonly published: Counter<'stream'>;
  readonly publishFailures: Counter;
  readonly processed: Counter<'consumer' | 'outcome'>;
  readonly redeliveries: Counter<'consumer'>;
  readonly deadLetters: Counter<'consumer' | 'reason'>;
  private readonly backlogProbes: Array<() => Promise<{ count: number; oldestAgeSeconds: number }>> = [];
  private readonly lagProbes = new Map<string, () => Promise<number>>();

  constructor(readonly registry: Registry = new Registry()) {
    const registers = [registry];
    this.published = new Counter({ name: 'elcorp_outbox_published_total', help: 'Outbox events published and acknowledged by JetStream', labelNames: ['stream'], registers });
    this.publishFailures = new Counter({ name: 'elcorp_outbox_publish_failures_total', help: 'Outbox publish attempts that failed', registers });
    this.processed = new Counter({ name: 'elcorp_consumer_processed_total', help: 'Events handled by consumers, by outcome', labelNames: ['consumer', 'outcome'], registers });
    this.redeliveries = new Counter({ name: 'elcorp_consumer_redeliveries_total', help: 'Deliveries that were not the first', labelNames: ['consumer'], registers });
    this.deadLetters = new Counter({ name: 'elcorp_consumer_dead_letters_total', help: 'Events sent to the dead-letter subject', labelNames: ['consumer', 'reason'], registers });

    const probes = this.backlogProbes;
    const read = async () => {
      let count = 0;
      let oldestAgeSeconds = 0;
      for (const probe of probes) {
        const r = await probe();
        count += r.count;
        oldestAgeSeconds = Math.max(oldestAgeSeconds, r.oldestAgeSeconds);
      }
      return { count, oldestAgeSeconds };
    };
    new Gauge({
      name: 'elcorp_outbox_backlog',
      help: 'Outbox events not yet published',
      registers,
      async collect() {
        this.set((await read()).count);
      },
    });
    new Gauge({
      name: 'elcorp_outbox_oldest_age_seconds',
      help: 'Age of the oldest unpublished outbox event',
      registers,
      async collect() {
        this.set((await read()).oldestAgeSeconds);
      },
    });
    const lagProbes = this.lagProbes;
    new Gauge({
      name: 'elcorp_consumer_lag',
      help: 'Messages in the stream not yet delivered to the durable consumer',
      labelNames: ['consumer'],
      registers,
      async collect() {
        for (const [consumer, probe] of lagProbes) this.set({ consumer }, await probe().catch(() => -1));
      },
    });
  }

  watchBacklog(probe: () => Promise<{ count: number; oldestAgeSeconds: number }>): void {
    this.backlogProbes.push(probe);
  }

  watchLag(consumer: string, probe: () => Promise<number>): void {
    this.lagProbes.set(consumer, probe);
  }
}
