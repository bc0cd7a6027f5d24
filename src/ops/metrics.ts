// Prometheus metrics: process defaults plus request counts and latencies per front end.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function httpMetrics(registry: Registry) {
  const existing = registry.getSingleMetric('dialbook_http_request_duration_seconds');
  if (existing) return existing as Histogram<'route' | 'method' | 'status'>;
  return new Histogram({
    name: 'dialbook_http_request_duration_seconds',
    help: 'HTTP request duration by route family, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
}

/** A counter registered once per registry (front ends call this for their own events). */
export function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/**
 * A gauge read when metrics are collected, from `read`. A second registration under the same
 * name REPLACES the first: the gauge reads the newest source (a cache built again for the same
 * registry), and a source that is gone is not kept alive by the registry holding its reader.
 */
export function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
}
