// translate.js: the translation page. 200 shows every language at once;
// 202 fills one panel per language as it streams: each task.segments adds
// its segments (source beside translation) at once, task.result the whole
// document; a task.restarted drops what an earlier attempt sent for that
// language. Each language can be copied or downloaded. ADMIN and CLIENT
// also edit the customer's glossary here.

import { h, fill, clear, errorBox, skeleton, badge, checkboxes, select, field } from "./dom.js";
import { get, post, put, stream } from "./api.js";
import { copyButton, download } from "./export.js";
import { LANGUAGES, LANGUAGE_NAMES } from "./languages.js";

// glossaryTerms are the customer's glossary terms, as last loaded or
// saved: segments mark them (the source's term, the target's translation).
let glossaryTerms = [];

// markTerms returns text as nodes with each of words (case-insensitive,
// longest first) in a <mark class="gl">.
function markTerms(text, words) {
  const ws = [...new Set(words.filter((w) => w && w.trim()))].sort((a, b) => b.length - a.length);
  if (!ws.length || !text) return [text];
  const esc = (w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp("(" + ws.map(esc).join("|") + ")", "gi");
  const out = [];
  let pos = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > pos) out.push(text.slice(pos, m.index));
    out.push(h("mark", { class: "gl", title: "glossary term", text: m[0] }));
    pos = m.index + m[0].length;
  }
  if (pos < text.length) out.push(text.slice(pos));
  return out;
}

let draft = { content: "Fresh bread every morning.\n\nOur sourdough is baked in Utrecht since 1921.", format: "text", source: "en", targets: ["nl", "de"] };

export function render(main, { session }) {
  const content = h("textarea", { name: "content", id: "tr-content", rows: 8, value: draft.content });
  const format = select("tr-format", [["text", "Text"], ["markdown", "Markdown"], ["html", "HTML"]], draft.format);
  const source = select("tr-source", LANGUAGES.map((l) => [l, LANGUAGE_NAMES[l]]), draft.source);
  const targets = checkboxes("Into", "targets", LANGUAGES.map((l) => ({ value: l, label: l + " · " + LANGUAGE_NAMES[l] })), draft.targets);
  const button = h("button", { type: "submit", id: "tr-submit", text: "Translate" });
  const status = h("div", { class: "status", id: "tr-status" });
  const panels = h("div", { class: "grid panels", id: "tr-panels" }, h("div", { class: "card placeholder" }, h("p", { class: "muted", text: "Translations appear here." })));
  const save = () => { draft = { content: content.value, format: format.value, source: source.value, targets: targets.values() }; };
  const form = h("form", { class: "card form", id: "tr-form", on: { submit: (ev) => { ev.preventDefault(); run(); } } },
    h("h1", { text: "Translate" }), field("Content", content), h("div", { class: "row" }, field("Format", format), field("From", source)),
    targets.el, button, status);
  const side = h("div", { class: "results" }, h("h2", { text: "Translations" }), panels);
  main.append(h("section", { class: "page two" }, h("div", {}, form, glossary(session)), side));

  function panel(lang) {
    const text = h("pre", { class: "translation", "data-lang": lang, hidden: true });
    const rows = h("tbody", {});
    const table = h("table", { class: "segments-table", "data-lang": lang },
      h("thead", {}, h("tr", {}, h("th", { text: "Source" }), h("th", { text: lang + " · " + (LANGUAGE_NAMES[lang] || lang) }), h("th", {}))), rows);
    const progress = h("div", { class: "progress muted small" }, skeleton(2));
    const meta = h("div", { class: "meta" });
    const actions = h("div", { class: "actions", hidden: true });
    const state = h("span", { class: "state", text: "waiting" });
    const el = h("article", { class: "card panel pending", "data-lang": lang, id: "tr-" + lang },
      h("header", {}, h("h3", { text: lang + " · " + (LANGUAGE_NAMES[lang] || lang) }), state), progress, text, table, meta, actions);
    return { el, text, rows, table, progress, meta, actions, state, seen: new Map(), lang };
  }

  // addSegments shows segments (in document order) as they arrive; a
  // segment sent again replaces its row.
  function addSegments(p, segs) {
    for (const sg of segs || []) {
      const src = glossaryTerms.map((t) => t.term);
      const tgt = glossaryTerms.map((t) => (t.translations && t.translations[p.lang]) || (t.do_not_translate ? t.term : ""));
      const row = h("tr", { "data-index": sg.index },
        h("td", { class: "src" }, markTerms(sg.source || "", src)), h("td", { class: "tgt" }, markTerms(sg.text || "", tgt)),
        h("td", {}, badge(sg.from === "memory" ? "memory" : sg.from || "", sg.from === "model" ? "model" : "")));
      const old = p.seen.get(sg.index);
      if (old) { old.replaceWith(row); p.seen.set(sg.index, row); continue; }
      p.seen.set(sg.index, row);
      const next = [...p.seen.entries()].filter(([i]) => i > sg.index).sort((a, b) => a[0] - b[0])[0];
      if (next && next[1].parentNode === p.rows) p.rows.insertBefore(row, next[1]); else p.rows.append(row);
    }
  }

  function resetPanel(p) {
    p.seen.clear();
    clear(p.rows);
    p.text.hidden = true;
    clear(p.text);
    fill(p.progress, skeleton(2));
    p.el.classList.remove("done", "failed");
    p.el.classList.add("pending");
    p.state.textContent = "restarted";
  }

  function fillPanel(p, r, simulated) {
    p.el.classList.remove("pending");
    p.el.classList.add("done");
    p.state.textContent = "done";
    clear(p.progress);
    p.text.hidden = false;
    fill(p.text, r.content || "");
    fill(p.meta,
      badge((r.reused || 0) + " from memory"), badge((r.translated || 0) + " translated"),
      r.model ? badge(r.model, "model") : null, (simulated || r.simulated) ? badge("simulated", "simulated") : null);
    for (const c of r.checks || []) p.meta.append(h("div", { class: "warn small", text: "Check: " + (c.message || c.term || JSON.stringify(c)) }));
    addSegments(p, r.segments);
    const ext = { text: "txt", markdown: "md", html: "html" }[draft.format] || "txt";
    fill(p.actions, copyButton("Copy", () => r.content || "", { class: "ghost small-btn tr-copy" }),
      h("button", { type: "button", class: "ghost small-btn", text: "Download", on: { click: () => download("translation." + p.lang + "." + ext, "text/plain", r.content || "") } }));
    p.actions.hidden = false;
  }

  async function run() {
    save();
    clear(status);
    button.disabled = true;
    clear(panels);
    panels.append(...draft.targets.map(() => h("div", { class: "card skeleton-card" }, skeleton(3))));
    const body = { content: draft.content, format: draft.format, source_language: draft.source };
    if (draft.targets.length) body.target_languages = draft.targets;
    let ans, code;
    try {
      ({ body: ans, status: code } = await post("/v1/translations", body));
    } catch (e) {
      clear(panels);
      status.append(errorBox(e));
      return;
    } finally {
      button.disabled = false;
    }
    clear(panels);
    const byLang = {};
    for (const l of ans.languages || []) { byLang[l] = panel(l); panels.append(byLang[l].el); }
    if (code === 200) {
      for (const [l, r] of Object.entries(ans.translations || {})) if (byLang[l]) fillPanel(byLang[l], r, r.simulated);
      status.append(h("p", { class: "ok", id: "tr-done", text: "All from the translation memory." }));
      return;
    }
    status.append(h("p", { class: "muted", text: "Translating " + (ans.segments || 0) + " segments into " + (ans.languages || []).length + " languages (" + ans.job_id + ")." }));
    stream(ans.stream_url, {
      "task.started": (d) => { const p = byLang[d.language]; if (p) p.state.textContent = "translating…"; },
      "task.restarted": (d) => { const p = byLang[(d.task || "").split(".")[1]]; if (p) resetPanel(p); },
      "task.segments": (d) => {
        const p = byLang[d.language];
        if (!p) return;
        addSegments(p, d.segments);
        if (p.el.classList.contains("pending")) fill(p.progress, p.seen.size + " of " + (ans.segments || "?") + " segments ready…");
      },
      "task.result": (d) => { const p = byLang[d.language]; if (p) fillPanel(p, d, d.simulated); },
      "task.failed": (d) => {
        const p = byLang[d.language];
        if (!p) return;
        p.el.classList.remove("pending");
        p.el.classList.add("failed");
        p.state.textContent = "failed";
        fill(p.progress, errorBox({ code: d.code, message: d.message }));
      },
      done: (d) => {
        fill(status, h("p", { class: d.status === "succeeded" ? "ok" : "warn", id: "tr-done", text: "Done: " + d.status + "." }));
        if (d.error) status.append(errorBox(d.error));
      },
      error: (e) => status.append(errorBox(e)),
    });
  }
  return save;
}

// glossary is the customer's glossary: editable for ADMIN and CLIENT,
// shown to a USER.
function glossary(session) {
  const canEdit = session.role === "ADMIN" || session.role === "CLIENT";
  const rows = h("tbody", {});
  const status = h("div", { class: "status", id: "gl-status" });
  const table = h("table", { class: "glossary", id: "gl-table" },
    h("thead", {}, h("tr", {}, h("th", { text: "Term" }), h("th", { text: "Keep as is" }), h("th", { text: "Translations (nl=…, de=…)" }), h("th", {}))), rows);
  const wrap = h("section", { class: "card form", id: "glossary" }, h("h2", { text: "Glossary" }), table);
  rows.append(h("tr", {}, h("td", { colspan: 4 }, skeleton(2))));

  function row(t) {
    const term = h("input", { type: "text", class: "gl-term", value: t.term || "", readOnly: !canEdit, "aria-label": "term" });
    const keep = h("input", { type: "checkbox", class: "gl-keep", checked: !!t.do_not_translate, disabled: !canEdit, "aria-label": "do not translate" });
    const tr = Object.entries(t.translations || {}).map(([k, v]) => k + "=" + v).join(", ");
    const trans = h("input", { type: "text", class: "gl-trans", value: tr, readOnly: !canEdit, "aria-label": "translations" });
    const el = h("tr", {}, h("td", {}, term), h("td", {}, keep), h("td", {}, trans),
      h("td", {}, canEdit ? h("button", { type: "button", class: "ghost icon", text: "✕", title: "Remove term", "aria-label": "Remove term", on: { click: () => el.remove() } }) : null));
    el.read = () => {
      const out = { term: term.value.trim() };
      if (keep.checked) out.do_not_translate = true;
      const m = {};
      for (const part of trans.value.split(",")) {
        const [k, ...v] = part.split("=");
        if (k.trim() && v.length) m[k.trim()] = v.join("=").trim();
      }
      if (Object.keys(m).length) out.translations = m;
      return out;
    };
    return el;
  }

  async function load() {
    try {
      const { body } = await get("/v1/glossary");
      glossaryTerms = body.terms || [];
      fill(rows, ...(body.terms || []).map(row));
      if (!(body.terms || []).length && !canEdit) rows.append(h("tr", {}, h("td", { colspan: 4, class: "muted", text: "No terms." })));
    } catch (e) {
      clear(rows);
      fill(status, errorBox(e));
    }
  }
  if (canEdit) {
    wrap.append(h("div", { class: "row" },
      h("button", { type: "button", class: "ghost", id: "gl-add", text: "Add term", on: { click: () => rows.append(row({})) } }),
      h("button", { type: "button", id: "gl-save", text: "Save glossary", on: { click: async () => {
        clear(status);
        const terms = [...rows.children].filter((r) => r.read).map((r) => r.read()).filter((t) => t.term);
        try {
          const { body } = await put("/v1/glossary", { terms });
          glossaryTerms = body.terms || [];
          fill(rows, ...(body.terms || []).map(row));
          status.append(h("p", { class: "ok", id: "gl-saved", text: "Saved " + (body.terms || []).length + " terms." }));
        } catch (e) {
          status.append(errorBox(e));
        }
      } } })));
  }
  wrap.append(status);
  load();
  return wrap;
}
