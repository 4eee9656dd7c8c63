/** JSON data of `config show` and `config validate`. */
import { z } from "zod";

/** Where a value came from: the built-in default, the config file, the environment or a flag. */
export const configValueSourceSchema = z.enum(["default", "file", "env", "flag"]);

export const configShowDataSchema = z.object({
  /** The file read, or null when no config file was found (defaults and environment only). */
  config_file: z.string().nullable(),
  /** How the file was found: --config, CODER_AGENTS_CONFIG, the working directory or XDG_CONFIG_HOME. */
  config_file_source: z.enum(["--config", "CODER_AGENTS_CONFIG", "working directory", "XDG_CONFIG_HOME"]).nullable(),
  /** Every configuration key (dotted path) with its effective value, secrets redacted. */
  values: z.array(z.object({ key: z.string(), value: z.unknown(), source: configValueSourceSchema })),
});

export const configValidateDataSchema = z.object({
  /** Always true: an invalid file is an error document (exit 2). */
  valid: z.literal(true),
  config_file: z.string().nullable(),
  keys_from_file: z.number().int().nonnegative(),
  keys_from_env: z.number().int().nonnegative(),
});
