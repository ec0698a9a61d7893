// render.js shows analyzed content as a reader sees it — Markdown and
// HTML rendered, plain text in paragraphs — while every piece of text
// remembers where it came from in the source, so findings' spans can be
// highlighted in the rendered page. Elements are built with dom.js; source
// markup is never parsed by the browser (links keep no href, images and
// scripts never load): hostile content stays text.

import { h } from "./dom.js";

// renderDoc renders str (format "text", "markdown" or "html") and returns
// {root, mark(ranges)}: root is the rendered element; mark highlights the
// UTF-16 ranges [[start, end], …] of str (replacing earlier highlights)
// and returns the <mark> elements in document order.
export function renderDoc(str, format) {
  const runs = [];
  const root = h("div", { class: "rendered" });
  const r = { str, runs };
  if (format === "markdown") markdown(r, root);
  else if (format === "html") html(r, root);
  else text(r, root);
  return {
    root,
    mark(ranges) {
      const marks = [];
      for (const run of runs) {
        const end = run.start + run.text.length;
        const hits = ranges.filter(([a, b]) => a < end && b > run.start)
          .map(([a, b]) => [Math.max(a, run.start) - run.start, Math.min(b, end) - run.start]).sort((x, y) => x[0] - y[0]);
        if (!hits.length) {
          if (run.marked) { run.el.replaceChildren(run.text); run.marked = false; }
          continue;
        }
        const parts = [];
        let pos = 0;
        for (const [a, b] of hits) {
          const from = Math.max(a, pos);
          if (from > pos) parts.push(run.text.slice(pos, from));
          if (b > from) { const m = h("mark", { text: run.text.slice(from, b) }); marks.push(m); parts.push(m); }
          pos = Math.max(pos, b);
        }
        if (pos < run.text.length) parts.push(run.text.slice(pos));
        run.el.replaceChildren(...parts);
        run.marked = true;
      }
      return marks;
    },
  };
}

// run adds the source text str[start:end] to parent as a span that can be
// highlighted.
function run(r, parent, start, end) {
  if (end <= start) return;
  const t = r.str.slice(start, end);
  const el = h("span", { class: "run" }, t);
  r.runs.push({ el, start, text: t, marked: false });
  parent.append(el);
}

// lines splits str into [{text, start}] without the line ends.
function lines(str) {
  const out = [];
  let start = 0;
  for (;;) {
    const i = str.indexOf("\n", start);
    const end = i < 0 ? str.length : i;
    let t = str.slice(start, end);
    if (t.endsWith("\r")) t = t.slice(0, -1);
    out.push({ text: t, start });
    if (i < 0) return out;
    start = i + 1;
  }
}

function text(r, root) {
  let p = null;
  for (const ln of lines(r.str)) {
    if (!ln.text.trim()) { p = null; continue; }
    if (p) p.append(h("br")); else { p = h("p"); root.append(p); }
    run(r, p, ln.start, ln.start + ln.text.length);
  }
}

// Inline Markdown: code, strong, emphasis, links and images (alt text).
const INLINE = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__|\*(?=[^\s*])([^*]*?[^\s*])\*|\b_(?=[^\s_])([^_]*?[^\s_])_\b|(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+["'][^)]*["'])?\s*\)/g;

function inline(r, parent, start, end) {
  const s = r.str.slice(start, end);
  INLINE.lastIndex = 0;
  const matches = [...s.matchAll(INLINE)];
  let pos = 0;
  for (const m of matches) {
    const at = m.index;
    if (at > pos) run(r, parent, start + pos, start + at);
    let el, inner, open;
    if (m[1] !== undefined) { el = h("code"); inner = m[2]; open = m[1].length; run(r, el, start + at + open, start + at + open + inner.length); parent.append(el); pos = at + m[0].length; continue; }
    if (m[3] !== undefined) { el = h("strong"); inner = m[3]; open = 2; }
    else if (m[4] !== undefined) { el = h("strong"); inner = m[4]; open = 2; }
    else if (m[5] !== undefined) { el = h("em"); inner = m[5]; open = 1; }
    else if (m[6] !== undefined) { el = h("em"); inner = m[6]; open = 1; }
    else {
      // A link shows its text (its address as a tooltip, never followed);
      // an image its alt text.
      const image = m[7] === "!";
      el = h("span", { class: image ? "md-image" : "md-link", title: m[9] || null });
      inner = m[8]; open = image ? 2 : 1;
    }
    inline(r, el, start + at + open, start + at + open + inner.length);
    parent.append(el);
    pos = at + m[0].length;
  }
  if (pos < s.length) run(r, parent, start + pos, end);
}

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])[ \t]+/;
const QUOTE = /^ {0,3}> ?/;
const FENCE = /^ {0,3}(```+|~~~+)/;
const RULE = /^ {0,3}([-*_])( *\1){2,} *$/;

function markdown(r, root) {
  const ls = lines(r.str);
  let para = null, list = null, quote = null;
  const close = () => { para = null; list = null; quote = null; };
  for (let i = 0; i < ls.length; i++) {
    const ln = ls[i];
    let m;
    if (!ln.text.trim()) { close(); continue; }
    if ((m = FENCE.exec(ln.text))) {
      close();
      const code = h("code");
      let j = i + 1;
      while (j < ls.length && !ls[j].text.trimStart().startsWith(m[1])) j++;
      if (j > i + 1) run(r, code, ls[i + 1].start, ls[j - 1].start + ls[j - 1].text.length);
      root.append(h("pre", { class: "code" }, code));
      i = j;
      continue;
    }
    if ((m = HEADING.exec(ln.text))) {
      close();
      const el = h("h" + m[1].length);
      const at = ln.text.indexOf(m[2], m[1].length);
      inline(r, el, ln.start + at, ln.start + at + m[2].length);
      root.append(el);
      continue;
    }
    if (RULE.test(ln.text)) { close(); root.append(h("hr")); continue; }
    if ((m = QUOTE.exec(ln.text))) {
      para = null; list = null;
      if (!quote) { quote = h("blockquote", {}, h("p")); root.append(quote); } else quote.lastChild.append(" ");
      inline(r, quote.lastChild, ln.start + m[0].length, ln.start + ln.text.length);
      continue;
    }
    if ((m = ITEM.exec(ln.text))) {
      para = null; quote = null;
      const ordered = /\d/.test(m[2]);
      if (!list || list.ordered !== ordered) { list = { el: h(ordered ? "ol" : "ul"), ordered }; root.append(list.el); }
      const li = h("li");
      inline(r, li, ln.start + m[0].length, ln.start + ln.text.length);
      list.el.append(li);
      continue;
    }
    if (list && /^\s+\S/.test(ln.text)) {
      // A continuation line of the last item.
      const li = list.el.lastChild;
      li.append(" ");
      const lead = ln.text.length - ln.text.trimStart().length;
      inline(r, li, ln.start + lead, ln.start + ln.text.length);
      continue;
    }
    list = null; quote = null;
    if (para) para.append(" "); else { para = h("p"); root.append(para); }
    const lead = ln.text.length - ln.text.trimStart().length;
    inline(r, para, ln.start + lead, ln.start + ln.text.length);
  }
}

// HTML: tags are read, never built; the text between them is shown in
// blocks (p, headings, list items…) as it came. Script, style and the
// head's contents are left out; entities stay as written (their source
// offsets must not move).
const BLOCK_TAGS = new Set(["p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "li", "dt", "dd", "blockquote", "pre", "tr", "td", "th", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "ul", "ol", "table", "title"]);
const SKIP_TAGS = new Set(["script", "style", "head", "noscript", "template", "svg", "iframe", "object"]);

function html(r, root) {
  const s = r.str;
  const TAG = /<!--[\s\S]*?-->|<\/?([a-zA-Z][a-zA-Z0-9-]*)(?:[^>"']|"[^"]*"|'[^']*')*>|<![^>]*>/g;
  let block = null, kind = "p", pos = 0, skip = "";
  const emit = (a, b) => {
    if (skip || !s.slice(a, b).trim()) return;
    if (!block) { block = h(kind); root.append(block); }
    run(r, block, a, b);
  };
  for (const m of s.matchAll(TAG)) {
    const name = (m[1] || "").toLowerCase();
    const closing = m[0][1] === "/";
    if (!skip) emit(pos, m.index);
    pos = m.index + m[0].length;
    if (skip) { if (closing && name === skip) skip = ""; continue; }
    if (!name) continue;
    if (SKIP_TAGS.has(name) && !closing && !m[0].endsWith("/>")) { skip = name === "head" ? "head" : name; continue; }
    if (BLOCK_TAGS.has(name)) {
      block = null;
      kind = closing ? "p" : /^h[1-6]$/.test(name) ? name : name === "li" ? "li" : name === "title" ? "h1" : "p";
      if (kind === "li") kind = "p";
    }
  }
  emit(pos, s.length);
}
