// spans.js maps the API's byte offsets (UTF-8, into the submitted
// content) to JavaScript string indexes (UTF-16 code units).

// byteIndexer returns a function from a UTF-8 byte offset in str to the
// UTF-16 index of the same place. An offset inside a character rounds
// down to its start; past the end gives str.length.
export function byteIndexer(str) {
  const bytes = [];   // byte offset of each code point's start
  const units = [];   // UTF-16 index of the same code point
  let b = 0;
  for (let i = 0; i < str.length;) {
    const cp = str.codePointAt(i);
    bytes.push(b);
    units.push(i);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp > 0xffff ? 2 : 1;
  }
  const total = b;
  return (off) => {
    if (off <= 0) return 0;
    if (off >= total) return str.length;
    let lo = 0, hi = bytes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bytes[mid] <= off) lo = mid; else hi = mid - 1;
    }
    return units[lo];
  };
}

// segments splits str into [{text, mark}] pieces, mark true inside any of
// the byte spans [{start, end}] (merged where they overlap).
export function segments(str, spans) {
  const at = byteIndexer(str);
  const ranges = (spans || [])
    .map((sp) => [at(sp.start), at(sp.end)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const merged = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push(r.slice());
  }
  const out = [];
  let pos = 0;
  for (const [a, b] of merged) {
    if (a > pos) out.push({ text: str.slice(pos, a), mark: false });
    out.push({ text: str.slice(a, b), mark: true });
    pos = b;
  }
  if (pos < str.length) out.push({ text: str.slice(pos), mark: false });
  return out;
}
