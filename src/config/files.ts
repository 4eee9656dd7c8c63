/**
 * Reading the small files the user points at (config, token, CA bundle, SMTP password): only
 * regular files, and only up to a size limit. A symlink to /dev/zero would otherwise be read until
 * memory runs out, and a FIFO would block the process forever (signals included), so the file is
 * opened non-blocking and checked with fstat before a single byte is read.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { ConfigError } from "../errors.js";

/** Larger than any config, token, CA bundle or password file. */
export const MAX_INPUT_FILE_BYTES = 4 * 1024 * 1024;

function kindOf(st: import("node:fs").Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * The UTF-8 text of the regular file at `path` (symlinks to regular files are followed), or null
 * when it does not exist. Anything else — a device, FIFO, directory, socket, or a file larger
 * than `maxBytes` — is a ConfigError (exit 2) naming `label` and the path.
 */
export function readRegularFile(path: string, label: string, maxBytes = MAX_INPUT_FILE_BYTES): string | null {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new ConfigError(`${label} ${path}: cannot be read (${(err as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ConfigError(`${label} ${path}: is ${kindOf(st)}; expected a regular file`);
    if (st.size > maxBytes) throw new ConfigError(`${label} ${path}: is ${st.size} bytes, larger than the limit of ${maxBytes} bytes`);
    // Read at most one byte past the limit: a file that grows while being read is still bounded.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) break;
    }
    if (n > maxBytes) throw new ConfigError(`${label} ${path}: is larger than the limit of ${maxBytes} bytes`);
    return buf.subarray(0, n).toString("utf8");
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${label} ${path}: cannot be read (${(err as Error).message})`);
  } finally {
    closeSync(fd);
  }
}
