/**
 * Incremental parser for Coder's list responses, `{"<key>": [ {...}, {...} ], "count": N}`.
 *
 * A page of 5,000 workspaces is ~14 MB of JSON; reading it whole and parsing it at once keeps the
 * text, the fetch buffers and the full object tree alive together (well over 100 MB of heap per
 * page). This reader takes the body chunk by chunk, hands each array element to `onElement` as soon
 * as it is complete, and keeps only the small envelope (`{"workspaces":[],"count":N}`) as text.
 *
 * Why hand-written rather than a streaming JSON library: speed and bounded memory at the sizes real
 * deployments reach. Listing 10,000–50,000 workspaces moves hundreds of megabytes of Coder's bulky
 * workspace objects (an unpaged listing of 50,000 is a ~375 MB body, which `JSON.parse` of the whole
 * text could not hold alongside its object tree). General streaming parsers tokenize every value and
 * call back per token; this one only tracks the nesting of the outer array (strings, escapes,
 * brackets) and hands each complete element to V8's native `JSON.parse`, so each element is parsed
 * at native speed and at most one element's text is held at a time, with hard limits on element
 * size, envelope size and depth against a hostile server.
 *
 * `omit` projects the elements as they stream: each path (e.g. `["latest_build", "resources"]`)
 * names a member whose object or array value is cut from the element's text, replaced by an empty
 * one, before the element is parsed. A real Coder workspace is 5–10 KB, most of it agents, apps and
 * scripts no reader of a listing uses; parsing them only to drop them is most of a listing's
 * garbage. A value at such a path that is not an object or array is left as it is.
 */
export class MalformedJsonError extends Error {}

/** The document goes beyond a bound no real Coder answer reaches (see JsonListLimits). */
export class JsonLimitError extends Error {}

export interface JsonListLimits {
  /** Longest single array element, in characters. */
  maxElementChars: number;
  /** Longest envelope (everything outside the array), in characters. */
  maxEnvelopeChars: number;
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
}

export const DEFAULT_JSON_LIST_LIMITS: JsonListLimits = { maxElementChars: 8 * 1024 * 1024, maxEnvelopeChars: 1024 * 1024, maxDepth: 256 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

const WHITESPACE_RUN = /[ \n\r\t]*/y;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * A copy of `s` that shares no memory with the chunk it was cut from. V8 keeps a slice as a view
 * of its whole parent string: a few kilobytes of an unfinished element carried to the next chunk
 * would otherwise keep the whole (tens of kilobytes) chunk alive, long enough on a slow response
 * for the collector to promote it. Prepending a character makes V8 flatten the text into a new
 * string; the slice of that holds only the copy.
 */
function detached(s: string): string {
  return (" " + s).slice(1);
}

export class JsonListStream {
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Text of the string being read, when it may be a key that matters (see `capture`), capped. */
  private key = "";
  private lastKey = "";
  /** The string being read is at depth 1 (the envelope) or at an element depth `omit` looks at. */
  private capture = false;
  /** The last significant character was a colon: an opening bracket now starts a member's value. */
  private colon = false;
  /** Deepest `omit` path; 0 when nothing is omitted. */
  private readonly omitDepth: number;
  /** elemPath[r]: the last key read at depth r inside the current element (r = 1: its own members). */
  private readonly elemPath: string[] = [];
  /** Depth at which an omitted value opened, or -1 when not inside one. */
  private skipDepth = -1;
  /** Depth inside the target array, or -1 when not in it. */
  private arrayDepth = -1;
  private seenArray = false;
  /** Start index of the element in the current chunk, or -1. */
  private elemStart = -1;
  private elemCarry = "";
  private envelope = "";
  private elements = 0;

  constructor(
    private readonly key_: string,
    private readonly onElement: (value: unknown, index: number) => void,
    private readonly limits: JsonListLimits = DEFAULT_JSON_LIST_LIMITS,
    private readonly omit: readonly (readonly string[])[] = [],
  ) {
    this.omitDepth = Math.max(0, ...omit.map((p) => p.length));
  }

  /** The member whose value opens at element depth r is on an `omit` path. */
  private omitted(r: number): boolean {
    return this.omit.some((p) => p.length === r && p.every((k, j) => this.elemPath[j + 1] === k));
  }

  private deeper(): void {
    if (++this.depth > this.limits.maxDepth) throw new JsonLimitError(`nested deeper than ${this.limits.maxDepth} levels`);
  }

  /** Feeds the next decoded chunk of text. */
  push(s: string): void {
    let outStart = this.arrayDepth >= 0 ? -1 : 0;
    const n = s.length;
    // Positions of the next backslash and the next quote at or after i, found once and moved
    // forward only: the scan stays linear even in strings with many escapes (a template's startup
    // script is kilobytes of `\n` and `\"`; searching for the closing quote again after every
    // escape made a 3,000-workspace page take seconds).
    let bs = s.indexOf("\\");
    let qt = s.indexOf('"');
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          continue;
        }
        // Skip ahead to the next quote or backslash.
        if (qt !== -1 && qt < i) qt = s.indexOf('"', i);
        const q = qt;
        if (bs !== -1 && bs < i) bs = s.indexOf("\\", i);
        const next = q === -1 ? bs : bs === -1 ? q : Math.min(q, bs);
        if (next === -1) {
          if (this.capture) this.key += s.slice(i, Math.min(n, i + 64));
          i = n;
          break;
        }
        if (this.capture && this.key.length < 64) this.key += s.slice(i, next);
        i = next;
        if (s.charCodeAt(i) === BACKSLASH) {
          this.escape = true;
          continue;
        }
        this.inString = false;
        if (this.capture) {
          if (this.depth === 1) this.lastKey = this.key;
          else this.elemPath[this.depth - this.arrayDepth] = this.key;
        }
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        const r = this.depth - this.arrayDepth;
        this.capture = this.depth === 1 || (this.arrayDepth >= 0 && this.skipDepth < 0 && r >= 1 && r <= this.omitDepth);
        if (this.capture) this.key = "";
        this.colon = false;
        continue;
      }
      if (isSpace(c)) {
        // Skip a run of whitespace at native speed (padding between elements can be long).
        WHITESPACE_RUN.lastIndex = i + 1;
        WHITESPACE_RUN.test(s);
        i = WHITESPACE_RUN.lastIndex - 1;
        continue;
      }
      if (this.arrayDepth >= 0 && this.depth === this.arrayDepth && this.elemStart === -1) {
        // Between elements of the target array.
        if (c === COMMA) continue;
        if (c === CLOSE_ARR) {
          this.depth--;
          this.arrayDepth = -1;
          this.envelope += "[]";
          outStart = i + 1;
          continue;
        }
        if (c !== OPEN_OBJ && c !== OPEN_ARR) throw new MalformedJsonError(`${this.key_}[${this.elements}] is not an object`);
        this.elemStart = i;
        this.deeper();
        continue;
      }
      if (c === OPEN_OBJ || c === OPEN_ARR) {
        if (c === OPEN_ARR && this.depth === 1 && this.colon && this.lastKey === this.key_ && !this.seenArray) {
          this.envelope += s.slice(outStart, i);
          outStart = -1;
          this.seenArray = true;
          this.deeper();
          this.arrayDepth = this.depth;
          this.colon = false;
          continue;
        }
        if (this.colon && this.elemStart !== -1 && this.depth - this.arrayDepth <= this.omitDepth && this.omitted(this.depth - this.arrayDepth)) {
          // An omitted member's value: the element keeps an empty one; the text up to the closing
          // bracket is scanned (for brackets inside strings) but never kept.
          this.elemCarry += s.slice(this.elemStart, i) + (c === OPEN_OBJ ? "{}" : "[]");
          this.elemStart = -1;
          this.skipDepth = this.depth;
        }
        this.deeper();
        this.colon = false;
        continue;
      }
      if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        this.depth--;
        if (this.depth < 0) throw new MalformedJsonError("unbalanced brackets");
        if (this.depth === this.skipDepth) {
          this.skipDepth = -1;
          this.elemStart = i + 1;
          this.colon = false;
          continue;
        }
        if (this.arrayDepth >= 0 && this.depth === this.arrayDepth && this.elemStart !== -1) {
          const text = this.elemCarry + s.slice(this.elemStart, i + 1);
          this.elemCarry = "";
          this.elemStart = -1;
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch (err) {
            throw new MalformedJsonError(`${this.key_}[${this.elements}]: ${(err as Error).message}`);
          }
          this.onElement(value, this.elements++);
        }
        this.colon = false;
        continue;
      }
      this.colon = c === COLON;
    }
    if (this.elemStart !== -1) {
      this.elemCarry = detached(this.elemCarry + s.slice(this.elemStart));
      this.elemStart = 0;
      if (this.elemCarry.length > this.limits.maxElementChars) {
        throw new JsonLimitError(`${this.key_}[${this.elements}] is longer than ${this.limits.maxElementChars} characters`);
      }
    } else if (this.skipDepth !== -1 && this.elemCarry !== "") {
      this.elemCarry = detached(this.elemCarry);
    } else if (outStart !== -1 && this.arrayDepth < 0) {
      this.envelope += s.slice(outStart);
    }
    if (this.envelope.length > this.limits.maxEnvelopeChars) {
      throw new JsonLimitError(`the document outside "${this.key_}" is longer than ${this.limits.maxEnvelopeChars} characters`);
    }
  }

  /** Ends the stream; returns the envelope with the target array emptied. */
  end(): unknown {
    if (this.depth !== 0 || this.inString || this.elemStart !== -1 || this.skipDepth !== -1) throw new MalformedJsonError("the body ended in the middle of the document");
    try {
      return JSON.parse(this.envelope);
    } catch (err) {
      throw new MalformedJsonError((err as Error).message);
    }
  }
}
