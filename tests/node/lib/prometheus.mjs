// Copyright idgen authors.
//
// Reading a Prometheus text exposition (what /metrics answers) in tests.

// `k="v",k2="v2"` -> { k: 'v', k2: 'v2' } (with the format's \" \\ \n escapes).
function parseLabels(text) {
  const out = {};
  for (const m of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  }
  return out;
}

// The value of the first sample named `name` whose labels include every
// pair of `labels` ({} matches any), or undefined when there is none.
export function sampleValue(text, name, labels = {}) {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = parseLabels(m[2] ?? '');
    if (Object.entries(labels).every(([k, v]) => have[k] === String(v))) return Number(m[3]);
  }
  return undefined;
}
