// charts.js draws small SVG charts with DOM calls (no library, no markup
// strings). Labels are text nodes.

import { s } from "./dom.js";

// barChart draws bars of [{label, value}] with values formatted by fmt.
// max fixes the scale (e.g. 1 for rates); default the largest value.
export function barChart(data, { width = 480, height = 200, max, fmt = String, title = "", id } = {}) {
  // All zero (or no data): a scale of 1, never a scale of nothing (which
  // would label the axis 5e-16 / 1e-15).
  const top = max ?? (Math.max(0, ...data.map((d) => d.value)) || 1);
  // The left margin fits the longest axis label (about 6.5 px a character).
  const longest = Math.max(...[0, 0.5, 1].map((f) => String(fmt(top * f)).length));
  const padL = Math.max(44, 12 + Math.ceil(longest * 6.5)), padB = 34, padT = 16, padR = 8;
  const w = width - padL - padR, hgt = height - padB - padT;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title, id });
  svg.append(s("title", { text: title }));
  for (const f of [0, 0.5, 1]) {
    const y = padT + hgt - f * hgt;
    svg.append(s("line", { x1: padL, x2: padL + w, y1: y, y2: y, class: "grid" }));
    svg.append(s("text", { x: padL - 6, y: y + 4, class: "axis", "text-anchor": "end", text: fmt(top * f) }));
  }
  const n = Math.max(1, data.length);
  const slot = w / n, bw = Math.max(2, Math.min(48, slot * 0.7));
  data.forEach((d, i) => {
    const v = Math.max(0, d.value || 0);
    const bh = top > 0 ? (Math.min(v, top) / top) * hgt : 0;
    const x = padL + i * slot + (slot - bw) / 2;
    const bar = s("rect", { x, y: padT + hgt - bh, width: bw, height: Math.max(bh, v > 0 ? 1 : 0), class: "bar", "data-label": d.label, "data-value": v });
    bar.append(s("title", { text: d.label + ": " + fmt(v) }));
    svg.append(bar);
    if (n <= 12) {
      svg.append(s("text", { x: x + bw / 2, y: padT + hgt - bh - 4, class: "value", "text-anchor": "middle", text: fmt(v) }));
    }
    if (n <= 12 || i % Math.ceil(n / 12) === 0) {
      svg.append(s("text", { x: x + bw / 2, y: height - padB + 14, class: "axis", "text-anchor": "middle", text: d.label }));
    }
  });
  if (!data.length) svg.append(s("text", { x: width / 2, y: height / 2, class: "axis", "text-anchor": "middle", text: "no data yet" }));
  return svg;
}
