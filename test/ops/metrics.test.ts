// The one gauge helper (LDAP's entry cache and the phonebook cache both use it) and the one
// /metrics authorisation rule (the HTTP ports and the metrics listener both use it).
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRICS_CHALLENGE, metricsAuthorized } from '../../src/auth/metrics-access.ts';
import { gauge } from '../../src/ops/metrics.ts';

describe('gauge()', () => {
  it('reads its source when collected; registered again under the same name, it reads the newest source', async () => {
    const registry = new Registry();
    let first = 1;
    gauge(registry, 'test_gauge', 'help', () => first);
    expect((await registry.getSingleMetric('test_gauge')!.get()).values[0].value).toBe(1);
    first = 2;
    expect((await registry.getSingleMetric('test_gauge')!.get()).values[0].value).toBe(2);
    gauge(registry, 'test_gauge', 'help', () => 40);
    expect((await registry.getSingleMetric('test_gauge')!.get()).values[0].value).toBe(40);
    expect((await registry.getMetricsAsJSON()).filter((m) => m.name === 'test_gauge')).toHaveLength(1);
  });
});

describe('metricsAuthorized()', () => {
  const token = 'a-metrics-token-of-16+';
  it('lets anyone in without a token, and only the exact bearer token with one', () => {
    expect(metricsAuthorized(undefined, null)).toBe(true);
    expect(metricsAuthorized('Bearer whatever', null)).toBe(true);
    expect(metricsAuthorized(`Bearer ${token}`, token)).toBe(true);
    expect(metricsAuthorized(undefined, token)).toBe(false);
    expect(metricsAuthorized('Bearer ', token)).toBe(false);
    expect(metricsAuthorized(`Bearer ${token}x`, token)).toBe(false);
    expect(metricsAuthorized(`Basic ${token}`, token)).toBe(false);
    expect(METRICS_CHALLENGE).toBe('Bearer realm="metrics"');
  });
});
