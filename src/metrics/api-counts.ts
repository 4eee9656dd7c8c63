/**
 * Counts of Coder API requests and retries by method and status code, collected by the HTTP
 * layer's observer hook for one process (a run, or the dashboard server). Plain maps: cheap enough
 * to be always on; the metrics writers turn them into Prometheus counters.
 */
import type { HttpObserver } from "../coder/http.js";

export interface ApiCount {
  method: string;
  /** The HTTP status code as text, or "error" for a network failure / timeout / malformed body. */
  status: string;
  count: number;
}

export class ApiCounts implements HttpObserver {
  private readonly requestsByKey = new Map<string, ApiCount>();
  private readonly retriesByKey = new Map<string, ApiCount>();

  request(method: string, status: string): void {
    bump(this.requestsByKey, method, status);
  }

  retry(method: string, status: string): void {
    bump(this.retriesByKey, method, status);
  }

  get requests(): ApiCount[] {
    return [...this.requestsByKey.values()];
  }

  get retries(): ApiCount[] {
    return [...this.retriesByKey.values()];
  }
}

function bump(map: Map<string, ApiCount>, method: string, status: string): void {
  const key = `${method} ${status}`;
  const e = map.get(key);
  if (e) e.count++;
  else map.set(key, { method, status, count: 1 });
}
