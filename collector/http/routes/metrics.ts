// GET /metrics in the Prometheus text format (version 0.0.4). It needs a reader (or admin)
// token: finding counts and agent names describe the estate's weak spots, so they are not
// public; Prometheus sends the token with `authorization: { credentials_file: … }`. The series
// are defined in ../metrics-registry.ts.
import { sendText } from '../respond.js';
import type { Route } from '../router.js';

export const metricsRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/metrics$/,
    access: 'reader',
    // Scraped during a database outage too, so that portdrift_store_up can say 0.
    duringOutage: true,
    async handle({ res, metrics }) {
      sendText(res, 200, await metrics.render(), metrics.contentType);
    },
  },
];
