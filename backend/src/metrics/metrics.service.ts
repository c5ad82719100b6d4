import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds; ticks are tens to hundreds of milliseconds, commits milliseconds. */
const FAST_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Seconds; model calls take from milliseconds (offline) to tens of seconds. */
const LLM_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/**
 * The app's Prometheus series. A registry per app instance (not prom-client's global one),
 * so several apps in one test process do not share counters. The simulation and the
 * agents never import this: the scenes service wires their hooks to these methods.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly tickDuration = new Histogram({
    name: 'pixeltales_tick_duration_seconds',
    help: 'Time spent computing one simulation tick',
    labelNames: ['scene'],
    buckets: FAST_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly tickLateness = new Histogram({
    name: 'pixeltales_tick_lateness_seconds',
    help: 'How late a tick started against its schedule',
    labelNames: ['scene'],
    buckets: FAST_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly lines = new Counter({
    name: 'pixeltales_lines_total',
    help: 'Dialogue lines committed',
    labelNames: ['scene'],
    registers: [this.registry],
  });

  readonly dbWriteDuration = new Histogram({
    name: 'pixeltales_db_write_duration_seconds',
    help: 'Time to commit one tick batch (lines, conversations, state) to the database',
    labelNames: ['outcome'],
    buckets: FAST_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly llmLatency = new Histogram({
    name: 'pixeltales_llm_call_duration_seconds',
    help: 'Wall time of a dialogue line request, limiter wait included',
    labelNames: ['outcome'],
    buckets: LLM_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Adds a gauge whose value is read at scrape time. */
  gauge(
    name: string,
    help: string,
    labelNames: string[],
    read: (set: (labels: Record<string, string>, value: number) => void) => void,
  ): Gauge {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        read((labels, value) => this.set(labels, value));
      },
    });
  }

  /**
   * Adds a counter mirroring a running total kept elsewhere (e.g. the LLM status service):
   * at scrape time it advances by what the total grew since the last scrape.
   */
  mirroredCounter(
    name: string,
    help: string,
    labelNames: string[],
    read: () => [Record<string, string>, number][],
  ): Counter {
    const seen = new Map<string, number>();
    return new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        for (const [labels, total] of read()) {
          const key = JSON.stringify(labels);
          const delta = total - (seen.get(key) ?? 0);
          if (delta > 0) this.inc(labels, delta);
          else if (!seen.has(key)) this.inc(labels, 0);
          seen.set(key, total);
        }
      },
    });
  }

  /** Times one model call and records it by outcome; the call's result or error passes through. */
  async timeLlmCall<T>(call: () => Promise<T>, outcomeOf: (error: unknown) => string): Promise<T> {
    const end = this.llmLatency.startTimer();
    try {
      const result = await call();
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: outcomeOf(error) });
      throw error;
    }
  }

  /** Times one database commit of a tick batch and counts its lines once stored. */
  async timeCommit<T>(sceneId: string, lineCount: number, commit: () => Promise<T>): Promise<T> {
    const end = this.dbWriteDuration.startTimer();
    try {
      const result = await commit();
      end({ outcome: 'ok' });
      if (lineCount > 0) this.lines.inc({ scene: sceneId }, lineCount);
      return result;
    } catch (error) {
      end({ outcome: 'error' });
      throw error;
    }
  }

  observeTick(sceneId: string, durationMs: number, lateMs: number): void {
    this.tickDuration.observe({ scene: sceneId }, durationMs / 1000);
    this.tickLateness.observe({ scene: sceneId }, lateMs / 1000);
  }
}
