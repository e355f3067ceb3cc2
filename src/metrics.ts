/**
 * Prometheus metrics, one registry per app instance (tests build many apps in one process).
 * Scraped at GET /metrics.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    credentialsIssued: new Counter({
      name: 'credentials_issued_total',
      help: 'Credentials issued (idempotent replays not counted)',
      labelNames: ['proof_type'] as const,
      registers: [registry],
    }),
    verifications: new Counter({
      name: 'verifications_total',
      help: 'Verifications by outcome: verified, failed (a check failed), error (a check could not be made)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    signingSeconds: new Histogram({
      name: 'credential_signing_seconds',
      help: 'Time to sign one credential (canonicalisation and signature)',
      labelNames: ['proof_type'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
