/** Ranges shared by the config schema and the flags that override its keys (no heavy imports: flags load at startup). */

/** Check intervals (ttl-monitor): from 0.01 min (600 ms) to one week, well inside a timer's range (2^31-1 ms). */
export const INTERVAL_MINUTES = { min: 0.01, max: 10080 } as const;
/** Request timeout: from 0.1 s to one hour. */
export const TIMEOUT_SECONDS = { min: 0.1, max: 3600 } as const;
