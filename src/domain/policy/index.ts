/** Policies per team: types, resolution, calendars. See the modules for the rules. */
export * from "./types.js";
export * from "./calendar.js";
export * from "./resolve.js";
export * from "./subject.js";
export * from "./from-config.js";
