/**
 * Writes a JSON document in pieces: the same text as `JSON.stringify(value)`, without ever holding
 * it as one string. A `--json` report of 50,000 workspaces is ~40 MB of text; built whole it is
 * held next to the objects it came from, then copied again into the write buffer.
 *
 * Arrays and plain objects are walked; every array element (a workspace entry, typically) and
 * every other value is serialised by JSON.stringify itself, so the text is byte for byte what
 * JSON.stringify gives. Pieces are gathered into chunks of about `chunkChars` characters; a chunk
 * always ends between two complete JSON values, never inside a string.
 */
export function writeJson(value: unknown, write: (chunk: string) => void, chunkChars = 1 << 20): void {
  let parts: string[] = [];
  let size = 0;
  const emit = (s: string) => {
    parts.push(s);
    size += s.length;
  };
  const flush = () => {
    if (parts.length === 0) return;
    write(parts.join(""));
    parts = [];
    size = 0;
  };
  const walk = (v: unknown, key: string): boolean => {
    if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") v = (v as { toJSON: (k: string) => unknown }).toJSON(key);
    if (Array.isArray(v)) {
      emit("[");
      v.forEach((el, i) => {
        if (i > 0) emit(",");
        if (!walkElement(el, String(i))) emit("null");
        if (size >= chunkChars) flush();
      });
      emit("]");
      return true;
    }
    if (isPlainObject(v)) {
      emit("{");
      let first = true;
      for (const k of Object.keys(v)) {
        // A value JSON.stringify leaves out emits nothing (walk returns false before emitting):
        // its key is taken back.
        const before = parts.length;
        const beforeSize = size;
        emit(`${first ? "" : ","}${JSON.stringify(k)}:`);
        if (walk(v[k], k)) first = false;
        else {
          parts.length = before;
          size = beforeSize;
        }
      }
      emit("}");
      return true;
    }
    const s = JSON.stringify(v);
    if (s === undefined) return false; // undefined, a function, a symbol: left out, as JSON.stringify does
    emit(s);
    return true;
  };
  // Array elements are serialised whole: each is one small document (a workspace entry).
  const walkElement = (el: unknown, key: string): boolean => {
    if (Array.isArray(el)) return walk(el, key);
    const s = JSON.stringify(el);
    if (s === undefined) return false;
    emit(s);
    return true;
  };
  walk(value, "");
  flush();
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
