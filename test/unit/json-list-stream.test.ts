import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonLimitError, JsonListStream, MalformedJsonError } from "../../src/coder/json-list-stream.js";

function parseInChunks(text: string, key: string, cuts: number[], omit: readonly (readonly string[])[] = []): { items: unknown[]; envelope: unknown } {
  const items: unknown[] = [];
  const p = new JsonListStream(
    key,
    (v, i) => {
      expect(i).toBe(items.length);
      items.push(v);
    },
    undefined,
    omit,
  );
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    p.push(text.slice(at, c));
    at = c;
  }
  p.push(text.slice(at));
  return { items, envelope: p.end() };
}

const tricky = {
  workspaces: [
    { id: "a", name: 'has "quotes" and \\ backslash', nested: { arr: [1, [2, { x: "]}" }]] } },
    { id: "b", name: "braces { [ in strings ] }", emoji: "🛑 日本", esc: "\u0001\n\t" },
    [1, 2, "array element"],
  ],
  count: 3,
  workspaces_note: "workspaces",
};

describe("JsonListStream", () => {
  it("yields every element and the envelope with the array emptied", () => {
    const { items, envelope } = parseInChunks(JSON.stringify(tricky), "workspaces", []);
    expect(items).toEqual(tricky.workspaces);
    expect(envelope).toEqual({ workspaces: [], count: 3, workspaces_note: "workspaces" });
  });

  it("gives the same result however the body is cut into chunks", () => {
    const text = JSON.stringify(tricky, null, 2);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 12 }), (cuts) => {
        const { items, envelope } = parseInChunks(text, "workspaces", cuts);
        expect(items).toEqual(tricky.workspaces);
        expect(envelope).toEqual({ workspaces: [], count: 3, workspaces_note: "workspaces" });
      }),
      { numRuns: 300 },
    );
  });

  it("handles any JSON values inside elements", () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), { maxLength: 6 }), fc.integer({ min: 1, max: 7 }), (elems, step) => {
        const text = JSON.stringify({ count: elems.length, users: elems });
        const cuts = Array.from({ length: Math.floor(text.length / step) }, (_, i) => i * step);
        const { items, envelope } = parseInChunks(text, "users", cuts);
        expect(items).toEqual(JSON.parse(JSON.stringify(elems)));
        expect(envelope).toEqual({ count: elems.length, users: [] });
      }),
      { numRuns: 200 },
    );
  });

  it("leaves a body without the key to the envelope", () => {
    expect(parseInChunks('{"count": 0}', "workspaces", [3]).envelope).toEqual({ count: 0 });
    expect(parseInChunks('{"other": [1,2], "count": 0}', "workspaces", []).items).toEqual([]);
  });

  it.each([
    ['{"workspaces": [{"id": "a"}, {"id": ', "truncated"],
    ['{"workspaces": [{"id": "a"}]', "unclosed"],
    ['{"workspaces": [{"id": "a",}]}', "bad element"],
    ['{"workspaces": [42]}', "primitive element"],
    ["<html>proxy error</html>", "not JSON"],
  ])("rejects %j (%s)", (text) => {
    expect(() => parseInChunks(text, "workspaces", [5])).toThrow(MalformedJsonError);
  });
});

describe("JsonListStream limits", () => {
  const limits = { maxElementChars: 100, maxEnvelopeChars: 50, maxDepth: 4 };
  const feed = (text: string, chunk = 7) => {
    const items: unknown[] = [];
    const p = new JsonListStream("workspaces", (v) => void items.push(v), limits);
    for (let i = 0; i < text.length; i += chunk) p.push(text.slice(i, i + chunk));
    return { items, envelope: p.end() };
  };

  it("accepts a document within every bound, long whitespace runs included", () => {
    const pad = " \n\t\r".repeat(5_000);
    // (Whitespace inside the array is skipped; outside it, it counts toward the envelope's bound.)
    expect(feed(`{"workspaces":[${pad}{"a":[1]}${pad},${pad}{"b":2}${pad}], "count":2}`)).toEqual({ items: [{ a: [1] }, { b: 2 }], envelope: { workspaces: [], count: 2 } });
  });

  it("refuses nesting, an element or an envelope beyond its bound", () => {
    expect(() => feed(`{"workspaces":[{"a":[[[1]]]}],"count":1}`)).toThrow(JsonLimitError);
    expect(() => feed(`{"workspaces":[{"a":"${"x".repeat(200)}"}],"count":1}`)).toThrow(/workspaces\[0\] is longer than 100 characters/);
    expect(() => feed(`{"workspaces":[],"count":1,"x":"${"y".repeat(100)}"}`)).toThrow(/outside "workspaces" is longer than 50 characters/);
  });
});

describe("JsonListStream omit (projection while streaming)", () => {
  const OMIT = [["latest_build", "resources"]] as const;
  const ws = (i: number) => ({
    id: `w${i}`,
    resources: [{ keep: "a top-level resources member is not on the path" }],
    latest_build: {
      id: `b${i}`,
      resources: [{ agents: [{ scripts: [{ script: 'echo "]}[{" \\ done\n'.repeat(i + 1) }] }], name: "main" }],
      status: "running",
      nested: { resources: ["deeper: not on the path"] },
    },
    tags: [{ latest_build: { resources: ["inside an array: not on the path"] } }],
  });
  const doc = { workspaces: [ws(0), ws(1), ws(2), { id: "w3", latest_build: { resources: null, status: "stopped" } }], count: 4 };
  const projected = doc.workspaces.map((w) =>
    "nested" in w.latest_build ? { ...w, latest_build: { ...w.latest_build, resources: [] } } : w,
  );

  const parseOmitting = (text: string, cuts: number[]) => parseInChunks(text, "workspaces", cuts, OMIT);

  it("replaces the value at the path with an empty one and keeps everything else", () => {
    const { items, envelope } = parseOmitting(JSON.stringify(doc), []);
    expect(items).toEqual(projected);
    expect((items[0] as { latest_build: { resources: unknown[] } }).latest_build.resources).toEqual([]);
    // A value at the path that is not an object or array is left as it is.
    expect((items[3] as { latest_build: { resources: unknown } }).latest_build.resources).toBeNull();
    expect(envelope).toEqual({ workspaces: [], count: 4 });
  });

  it("gives the same projection however the body is cut into chunks", () => {
    const text = JSON.stringify(doc, null, 1);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 16 }), (cuts) => {
        expect(parseOmitting(text, cuts).items).toEqual(projected);
      }),
      { numRuns: 300 },
    );
  });

  it("still refuses a body that ends inside an omitted value", () => {
    const text = JSON.stringify(doc);
    const cut = text.indexOf("echo");
    const p = new JsonListStream("workspaces", () => {}, undefined, OMIT);
    p.push(text.slice(0, cut));
    expect(() => p.end()).toThrow(MalformedJsonError);
  });
});
