/** Deterministic, stable identifiers and a small seeded PRNG for the simulator. */
import { createHash } from "node:crypto";

/** A UUID (version-4 layout) derived from a namespace and a name, stable across runs. */
export function stableUuid(...parts: string[]): string {
  const h = createHash("sha1").update(parts.join("\u0000")).digest("hex");
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * A UUID derived cheaply from another (no hashing): the first 8 hex digits are mixed with `salt`.
 * For the many nested ids of one rendered build (agent, apps, scripts), stable and distinct.
 */
export function derivedUuid(base: string, salt: number): string {
  const head = (Number.parseInt(base.slice(0, 8), 16) ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0;
  return head.toString(16).padStart(8, "0") + base.slice(8);
}

/** mulberry32: tiny, fast, good enough for synthetic data and fault dice. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}
