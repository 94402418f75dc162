// How a raw value of the engine's config map is read: keys set with `--path` hold JSON objects or
// arrays, everything else is a string. One reader for the schema and the secrets scan alike.

/** The value as JSON when it is an object or array, else the string itself. */
export function parseConfigValue(raw: string): unknown {
  const trimmed = raw.trim();
  if (!(trimmed.startsWith("{") || trimmed.startsWith("["))) return raw;
  try {
    return JSON.parse(trimmed);
  } catch {
    return raw; // a string that merely starts with a brace: the schema says what it expected
  }
}
