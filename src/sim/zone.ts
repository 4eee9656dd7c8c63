/**
 * A luxon Zone that memoises an IANA zone's UTC offset per 15-minute slot. Every real-world
 * offset and transition instant is a multiple of 15 minutes, so this is exact, and it makes the
 * schedule arithmetic for 10k generated workspaces cheap (luxon otherwise formats each instant).
 */
import { IANAZone, Zone, type ZoneOffsetFormat, type ZoneOffsetOptions } from "luxon";

const SLOT_MS = 15 * 60_000;

class CachedZone extends Zone {
  private readonly offsets = new Map<number, number>();

  constructor(private readonly inner: IANAZone) {
    super();
  }

  override get type(): string {
    return "iana";
  }

  override get name(): string {
    return this.inner.name ?? "";
  }

  override get isUniversal(): boolean {
    return false;
  }

  override offsetName(ts: number, options: ZoneOffsetOptions): string {
    return this.inner.offsetName(ts, options) ?? "";
  }

  override formatOffset(ts: number, format: ZoneOffsetFormat): string {
    return this.inner.formatOffset(ts, format);
  }

  override offset(ts: number): number {
    const slot = Math.floor(ts / SLOT_MS);
    let v = this.offsets.get(slot);
    if (v === undefined) {
      v = this.inner.offset(ts);
      this.offsets.set(slot, v);
    }
    return v;
  }

  override equals(other: Zone): boolean {
    return other instanceof CachedZone ? other.name === this.name : this.inner.equals(other);
  }

  override get isValid(): true {
    return true;
  }
}

const zones = new Map<string, Zone>();

/** A cached zone for an IANA name, or null when the name is not a valid zone. */
export function cachedZone(name: string): Zone | null {
  let z = zones.get(name);
  if (!z) {
    const inner = IANAZone.create(name);
    if (!inner.isValid) return null;
    z = new CachedZone(inner);
    zones.set(name, z);
  }
  return z;
}
