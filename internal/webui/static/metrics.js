// metrics.js parses the few Prometheus text-format series the dashboard
// shows.

// parseMetrics returns [{name, labels, value}] for every sample line.
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l;
      while ((l = re.exec(m[3]))) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

// sum adds the values of a series, optionally filtered by labels.
export function sum(samples, name, where = {}) {
  return samples.filter((x) => x.name === name && Object.entries(where).every(([k, v]) => x.labels[k] === v))
    .reduce((a, x) => a + x.value, 0);
}

// quantile estimates a quantile of a histogram (all label sets summed) by
// linear interpolation in its buckets; NaN without observations.
export function quantile(samples, name, q, where = {}) {
  const buckets = new Map();
  for (const x of samples) {
    if (x.name !== name + "_bucket") continue;
    if (!Object.entries(where).every(([k, v]) => x.labels[k] === v)) continue;
    const le = x.labels.le === "+Inf" ? Infinity : Number(x.labels.le);
    buckets.set(le, (buckets.get(le) || 0) + x.value);
  }
  const bs = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  if (!bs.length) return NaN;
  const total = bs[bs.length - 1][1];
  if (!total) return NaN;
  const rank = q * total;
  let prevLe = 0, prevCount = 0;
  for (const [le, count] of bs) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(1e-12, count - prevCount));
    }
    prevLe = le; prevCount = count;
  }
  return prevLe;
}

// labelValues lists the distinct values of a label in a series.
export function labelValues(samples, name, label) {
  return [...new Set(samples.filter((x) => x.name === name && x.labels[label] !== undefined).map((x) => x.labels[label]))].sort();
}
