#!/usr/bin/env node
// Allocation-site pretenuring off, set before any of the tool's modules load. With it on, V8 sees
// the many short-lived objects of a large workspace listing (parsed pages, rows merged and dropped)
// survive a scavenge or two while a page is in flight and starts allocating them straight into old
// space, where they stay as garbage until a full mark-compact: `ttl-monitor --all --json` at 50,000
// workspaces peaked near 400 MB that way with ~60 MB live. Off, they die young in new space. The
// flag only steers where V8 allocates, never what the program computes. It is set here rather than
// on the shebang line (`env` cannot pass flags portably) or via NODE_OPTIONS (which does not accept
// it); V8 reads this flag at each garbage collection, so setting it at run time takes effect (the
// bench's peak RSS shows it).
import { setFlagsFromString } from "node:v8";
setFlagsFromString("--no-allocation-site-pretenuring");
const { main } = await import("../dist/cli/main.js");
main();
