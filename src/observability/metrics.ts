import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CodeTallies, TallyFamily } from './metrics-tally.ts';
import { Tally } from './metrics-tally.ts';

/** Label values of a gauge read at scrape time, e.g. `{connected: 3, disconnected: 1}`. */
export type GaugeValues = Record<string, number>;

export interface MetricsOptions {
  /** Cluster mode: every series gets `node="<id>"` (a default label), so each node's series stay apart. */
  nodeId?: string;
}

/**
 * prom-client's default process metrics, less three:
 * - its GC duration histogram observes every garbage collection through a `PerformanceObserver`, which cost about
 *   8 % more CPU in an allocation-heavy loop here (and showed as a few % of server CPU in the fan-out bench);
 * - `nodejs_active_handles*` and `nodejs_active_resources*` walk every handle at each scrape, so with thousands of
 *   sockets a scrape costs milliseconds of CPU, and they count what `rollcall_connections{state}` already says.
 * prom-client's `collectDefaultMetrics` cannot leave one out, so its collectors are loaded by name; a missing one (a
 * prom-client upgrade that moved them) fails at start-up.
 */
const PROCESS_COLLECTORS = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'eventLoopLag',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
] as const;

type Collector = (registry: Registry, config: { labels?: Record<string, string>; eventLoopMonitoringPrecision: number }) => void;

function loadCollectors(): Collector[] {
  const require = createRequire(import.meta.url);
  return PROCESS_COLLECTORS.map((name) => {
    const collector: unknown = require(`prom-client/lib/metrics/${name}`);
    if (typeof collector !== 'function') throw new Error(`prom-client collector ${name} not found`);
    return collector as Collector;
  });
}

/**
 * Node's process metrics (CPU, memory, handles, heap, event-loop lag as `nodejs_eventloop_lag_*`) are collected once
 * per process and node label: each collection runs its own event-loop delay monitor, so servers created in one
 * process (tests) share one instead of adding a sampling timer each.
 */
const processRegistries = new Map<string, Registry>();

function processRegistry(nodeId: string | undefined): Registry {
  const key = nodeId ?? '';
  let registry = processRegistries.get(key);
  if (!registry) {
    registry = new Registry();
    const config = { eventLoopMonitoringPrecision: 10, ...(nodeId ? { labels: { node: nodeId } } : {}) };
    for (const collect of loadCollectors()) collect(registry, config);
    processRegistries.set(key, registry);
  }
  return registry;
}

/**
 * One server's metrics registry (prom-client), served at `GET /metrics` in Prometheus text format. Created by the
 * composition root and passed to whoever counts something, so any room can add its own series:
 * - hot paths: {@link counter}/{@link counterFamily} return Tallies bumped with a property increment and read at
 *   scrape time (no label lookup per event);
 * - anything else: any prom-client metric constructed with `registers: [metrics.registry]` (e.g. a Histogram).
 * Names start with `rollcall_`; counters end in `_total`.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly process: Registry;

  constructor(options: MetricsOptions = {}) {
    if (options.nodeId) this.registry.setDefaultLabels({ node: options.nodeId });
    this.process = processRegistry(options.nodeId);
  }

  /** An unlabelled counter backed by a Tally. */
  counter(name: string, help: string): Tally {
    const tally = new Tally();
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(tally.value);
      },
    });
    return tally;
  }

  /** A counter with one label, one Tally per label value (`family` is kept and read at scrape time). */
  counterFamily<F extends TallyFamily<string | number> | CodeTallies>(name: string, help: string, label: string, family: F): F {
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [value, tally] of family.entries()) this.inc({ [label]: String(value) }, tally.value);
      },
    });
    return family;
  }

  /** A gauge read when scraped; `read` returns one number, or one per value of `label`. */
  gauge(name: string, help: string, read: () => number | Promise<number>): void;
  gauge(name: string, help: string, read: () => GaugeValues | Promise<GaugeValues>, label: string): void;
  gauge(name: string, help: string, read: () => number | GaugeValues | Promise<number | GaugeValues>, label?: string): void {
    new Gauge({
      name,
      help,
      labelNames: label ? [label] : [],
      registers: [this.registry],
      async collect() {
        const value = await read();
        if (typeof value === 'number') {
          this.set(value);
          return;
        }
        for (const [v, n] of Object.entries(value)) this.set({ [label as string]: v }, n);
      },
    });
  }

  /** A prom-client histogram in this registry (observe costs a few comparisons; not for per-frame use). */
  histogram(name: string, help: string, buckets: number[]): Histogram {
    return new Histogram({ name, help, buckets, registers: [this.registry] });
  }

  /** The exposition: process metrics, then ours. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    const [processText, ours] = await Promise.all([this.process.metrics(), this.registry.metrics()]);
    return { contentType: this.registry.contentType, body: `${processText}\n${ours}` };
  }
}
