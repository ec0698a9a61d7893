// analyze.js: the analysis editor. The local report shows at once as
// score cards; model deepening (grammar, tone) streams in over the job's
// events, each finding added to its card with its model and the card's
// score lowered as the server merges it. Beside the cards a sticky panel
// shows the search-result snippet (with the title's pixel width and the
// meta description's length against the bands the SEO check uses) and the
// rendered content, where a chosen finding's spans are highlighted,
// scrolled into view and flashed. Findings are reachable by keyboard:
// Tab or the arrow keys (j/k) move between them, each one chosen as it
// gets focus.

import { h, fill, clear, errorBox, skeleton, badge, checkboxes, select, field } from "./dom.js";
import { get, post, stream } from "./api.js";
import { byteIndexer } from "./spans.js";
import { renderDoc } from "./render.js";
import { titleWidth, fitTitle, metaChars, titleBand, metaBand, TITLE_MAX_PX, META_MAX, META_MIN } from "./snippet.js";
import { LANGUAGES, LANGUAGE_NAMES } from "./languages.js";

const TYPES = ["readability", "seo", "structure", "grammar", "tone", "sentiment"];
const TITLES = { overall: "Overall", readability: "Readability", seo: "SEO", structure: "Structure", grammar: "Grammar", tone: "Tone", sentiment: "Sentiment" };
const SAMPLE = "# Fresh bread\n\nOur bakery bakes **fresh bread** every morning. You can order online and pick it up at seven.\n";
const MAX_RELATED = 4;

let draft = { content: SAMPLE, format: "markdown", language: "", keyphrase: "fresh bread", synonyms: "", related: "", title: "", meta: "", slug: "", deep: [] };

const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);

export function render(main) {
  const content = h("textarea", { name: "content", id: "analyze-content", rows: 12, spellcheck: "false", value: draft.content });
  const format = select("analyze-format", [["text", "Text"], ["markdown", "Markdown"], ["html", "HTML"]], draft.format);
  const language = select("analyze-language", [["", "Detect"], ...LANGUAGES.map((l) => [l, LANGUAGE_NAMES[l]])], draft.language);
  const input = (id, value, attrs = {}) => h("input", { type: "text", id, name: id, value, ...attrs });
  const keyphrase = input("analyze-keyphrase", draft.keyphrase);
  const synonyms = input("analyze-synonyms", draft.synonyms, { placeholder: "bread, loaves" });
  const related = input("analyze-related", draft.related, { placeholder: "sourdough, bakery Utrecht" });
  const title = input("analyze-title", draft.title, { placeholder: "Fresh bread every morning | Bakkerij Jansen" });
  const meta = h("textarea", { id: "analyze-meta", name: "analyze-meta", rows: 3, value: draft.meta });
  const slug = input("analyze-slug", draft.slug, { placeholder: "fresh-bread" });
  const deep = checkboxes("Deepen with a model", "deep", [{ value: "grammar", label: "grammar" }, { value: "tone", label: "tone" }], draft.deep);
  const button = h("button", { type: "submit", id: "analyze-submit", text: "Analyze" });
  const status = h("div", { class: "status", id: "analyze-status" });
  const cards = h("div", { class: "grid cards", id: "analyze-cards", role: "region", "aria-label": "Results; arrow keys move between findings" });
  cards.append(...TYPES.slice(0, 2).map(() => h("div", { class: "card placeholder" }, h("p", { class: "muted", text: "Results appear here." }))));
  const preview = h("div", { class: "preview rendered-wrap", id: "analyze-preview", tabindex: 0, "aria-label": "Analyzed text" });
  const stale = h("p", { class: "muted small", id: "analyze-stale", hidden: true, text: "Edited since the analysis: highlights show the analyzed text. Analyze again." });

  // The snippet preview follows the SEO fields as they are typed.
  const snipUrl = h("div", { class: "snip-url", id: "snippet-url" });
  const snipTitle = h("div", { class: "snip-title", id: "snippet-title" });
  const snipDesc = h("div", { class: "snip-desc", id: "snippet-desc" });
  const titleBar = lengthBar("snippet-title-bar");
  const metaBar = lengthBar("snippet-meta-bar");
  const snippet = h("section", { class: "card snippet", id: "snippet", "aria-label": "Search result preview" },
    h("h2", { text: "Search result preview" }),
    h("div", { class: "serp" }, snipUrl, snipTitle, snipDesc),
    titleBar.el, metaBar.el);

  const seo = h("details", { class: "seo-fields", open: true },
    h("summary", { text: "SEO" }),
    h("div", { class: "row" }, field("Keyphrase", keyphrase), field("Synonyms", synonyms, "Comma-separated.")),
    field("Related keyphrases", related, "Comma-separated; each gets its own keyphrase checks (up to " + MAX_RELATED + ")."),
    field("SEO title", title),
    field("Meta description", meta),
    field("Slug", slug));

  const form = h("form", { class: "card form", id: "analyze-form", on: { submit: (ev) => { ev.preventDefault(); run(); } } },
    h("h1", { text: "Analyze" }),
    field("Content", content, "Paste text, Markdown or HTML."),
    h("div", { class: "row" }, field("Format", format), field("Language", language)),
    seo, deep.el, button, status);

  main.append(h("section", { class: "page editor" },
    h("div", { class: "editor-main" }, form, h("h2", { text: "Results" }), cards),
    h("aside", { class: "editor-side", id: "analyze-side" }, snippet,
      h("section", { class: "card preview-card" }, h("h2", { text: "Preview" }), stale, preview))));

  let doc = null;          // the rendered analyzed text
  let analyzed = false;    // doc holds an analyzed text (not just the draft)
  let runs = 0;            // the current analysis; late answers of older ones are dropped
  let text = "";           // the analyzed text
  let toUnits = null;      // byte offset → UTF-16 index of text
  const cardOf = {};
  let overall = null;

  function showDoc(str, fmt) {
    text = str;
    toUnits = byteIndexer(str);
    doc = renderDoc(str, fmt);
    fill(preview, doc.root);
    stale.hidden = true;
  }
  showDoc(draft.content, draft.format);
  content.addEventListener("input", () => { stale.hidden = !analyzed; });

  function updateSnippet() {
    const t = title.value, m = meta.value;
    const firstH1 = doc && doc.root.querySelector("h1");
    fill(snipUrl, "example.com", slug.value.trim() ? " › " + slug.value.trim() : "");
    if (t.trim()) {
      const fit = fitTitle(t);
      fill(snipTitle, fit.text);
      snipTitle.classList.remove("fallback");
    } else {
      fill(snipTitle, firstH1 ? firstH1.textContent : "(no SEO title)");
      snipTitle.classList.add("fallback");
    }
    const chars = [...m.trim()];
    fill(snipDesc, m.trim() ? (chars.length > META_MAX ? chars.slice(0, META_MAX).join("").trimEnd() + " …" : m.trim()) : "(no meta description: search engines pick a passage of the page)");
    snipDesc.classList.toggle("fallback", !m.trim());
    const px = titleWidth(t), n = metaChars(m);
    titleBar.set("SEO title width", px, TITLE_MAX_PX, px + " / " + TITLE_MAX_PX + " px", titleBand(px));
    metaBar.set("Meta description length", n, META_MAX, n + " / " + META_MAX + " characters (good from " + (META_MIN + 1) + ")", metaBand(n));
  }
  for (const el of [title, meta, slug]) el.addEventListener("input", updateSnippet);
  updateSnippet();

  // choose highlights a finding's spans in the preview, scrolls the first
  // into view inside the sticky preview (the page stays where it is) and
  // flashes it.
  function choose(item) {
    for (const el of cards.querySelectorAll(".finding.selected")) if (el !== item) el.classList.remove("selected");
    if (!item) { if (doc) doc.mark([]); return; }
    item.classList.add("selected");
    const spans = item.spans || [];
    if (!doc || !spans.length) { if (doc) doc.mark([]); return; }
    const marks = doc.mark(spans.map((sp) => [toUnits(sp.start), toUnits(sp.end)]));
    const first = marks[0];
    if (!first) return;
    const box = preview.getBoundingClientRect(), r = first.getBoundingClientRect();
    preview.scrollTop += r.top - box.top - box.height / 3;
    const after = first.getBoundingClientRect();
    if (after.top < 0 || after.bottom > window.innerHeight) first.scrollIntoView({ block: "center" });
    for (const m of marks) {
      m.classList.remove("flash");
      void m.offsetWidth; // restart the animation
      m.classList.add("flash");
    }
  }

  // Keyboard: the arrow keys (and j/k) move between the visible findings.
  cards.addEventListener("keydown", (ev) => {
    const item = ev.target.closest && ev.target.closest(".finding");
    if (!item) return;
    const all = [...cards.querySelectorAll(".finding")].filter((el) => el.offsetParent !== null);
    const i = all.indexOf(item);
    let next = null;
    if (ev.key === "ArrowDown" || ev.key === "j") next = all[i + 1];
    else if (ev.key === "ArrowUp" || ev.key === "k") next = all[i - 1];
    else if (ev.key === "Home") next = all[0];
    else if (ev.key === "End") next = all[all.length - 1];
    else if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); choose(item); return; }
    else if (ev.key === "Escape") { item.classList.remove("selected"); choose(null); return; }
    else return;
    ev.preventDefault();
    if (next) next.focus();
  });

  function findingItem(f, simulated) {
    const spans = f.spans || [];
    const local = f.source === "local" || !f.source;
    const item = h("li", { class: "finding sev-" + (f.severity || "info") + (spans.length ? " has-spans" : ""), tabindex: 0,
      "data-rule": f.rule || "", "data-source": f.source || "", "aria-label": (f.severity || "") + ": " + (f.message || f.rule || "") },
      h("span", { class: "sev", title: f.severity || "", text: f.severity || "" }),
      h("span", { class: "msg", text: f.message || f.rule || "" }),
      h("span", { class: "src" }, badge(local ? "local" : f.source, local ? "local" : "model"),
        simulated ? badge("simulated", "simulated") : null));
    item.spans = spans;
    item.addEventListener("click", () => { item.focus({ preventScroll: true }); choose(item); });
    item.addEventListener("focus", () => choose(item));
    return item;
  }

  function setScore(el, r) {
    el.card.className = el.card.className.replace(/\blabel-\S+/g, "").trim() + " label-" + (r.label || "");
    el.score.textContent = String(r.score ?? "–");
    fill(el.label, r.label_text || r.label || "");
  }

  // A card lists what needs attention; passed checks fold away.
  function scoreCard(type, r, heading = TITLES[type] || type, id = "card-" + type) {
    const findings = h("ul", { class: "findings" });
    const passedList = h("ul", { class: "findings" });
    const passed = h("details", { class: "passed", hidden: true }, h("summary", {}), passedList);
    const pending = h("div", { class: "pending" });
    const model = h("div", { class: "model-line" });
    const score = h("span", { class: "score", text: "" });
    const label = badge("", "label");
    const card = h("article", { class: "card result", "data-type": type, id },
      h("header", {}, h("h3", { text: heading }), score, label), findings, passed, model, pending);
    const c = {
      card, findings, pending, model, score, label,
      add(f, simulated) {
        const good = f.severity === "good";
        (good ? passedList : findings).append(findingItem(f, simulated));
        if (good) {
          passed.hidden = false;
          passed.firstChild.textContent = passedList.children.length + " passed";
        }
      },
    };
    setScore(c, r);
    for (const f of r.findings || []) c.add(f, false);
    // Findings of a model from the cache (a 200 answer): name the model.
    const models = [...new Set((r.findings || []).filter((f) => f.source && f.source !== "local").map((f) => f.source))];
    if (models.length) fill(model, h("p", { class: "muted small" }, "Model: ", models.map((m) => badge(m, "model")), " (cached)"));
    return c;
  }

  function read() {
    return { content: content.value, format: format.value, language: language.value, keyphrase: keyphrase.value, synonyms: synonyms.value,
      related: related.value, title: title.value, meta: meta.value, slug: slug.value, deep: deep.values() };
  }

  function requestBody(d) {
    const body = { content: d.content, format: d.format };
    if (d.language) body.language = d.language;
    if (d.keyphrase.trim()) body.keyphrase = d.keyphrase.trim();
    if (list(d.synonyms).length) body.synonyms = list(d.synonyms);
    if (d.title.trim()) body.title = d.title.trim();
    if (d.meta.trim()) body.meta_description = d.meta.trim();
    if (d.slug.trim()) body.slug = d.slug.trim();
    return body;
  }

  // relatedCards checks each related keyphrase as the keyphrase of its
  // own SEO analysis (the API's keyphrase checks, one request each).
  async function relatedCards(d, lang, run) {
    const phrases = list(d.related).slice(0, MAX_RELATED);
    await Promise.all(phrases.map(async (kp, i) => {
      const slot = h("div", { class: "card skeleton-card" }, skeleton(2));
      cards.append(slot);
      const body = { ...requestBody(d), keyphrase: kp, synonyms: undefined, types: ["seo"], language: lang || undefined };
      try {
        const { body: ans } = await post("/v1/analyses", body);
        if (run !== runs) return; // a newer analysis replaced the cards
        const r = ((ans.report || {}).results || []).find((x) => x.type === "seo") || {};
        const kr = { ...r, findings: (r.findings || []).filter((f) => /keyphrase/.test(f.rule || "")) };
        const c = scoreCard("related", kr, "Related: " + kp, "card-related-" + i);
        slot.replaceWith(c.card);
      } catch (e) {
        slot.replaceWith(h("article", { class: "card result" }, h("h3", { text: "Related: " + kp }), errorBox(e)));
      }
    }));
  }

  async function run() {
    const me = ++runs;
    draft = read();
    showDoc(draft.content, draft.format);
    analyzed = true;
    updateSnippet();
    clear(status);
    for (const k of Object.keys(cardOf)) delete cardOf[k];
    clear(cards);
    cards.append(...TYPES.map(() => h("div", { class: "card skeleton-card" }, skeleton(3))));
    button.disabled = true;
    const body = requestBody(draft);
    if (draft.deep.length) body.deep = draft.deep;
    let ans;
    try {
      ({ body: ans } = await post("/v1/analyses", body));
    } catch (e) {
      if (me !== runs) return;
      clear(cards);
      status.append(errorBox(e));
      return;
    } finally {
      button.disabled = false;
    }
    if (me !== runs) return;
    const rep = ans.report || {};
    clear(cards);
    const big = h("span", { class: "score big" }), lab = badge("", "label");
    const ov = h("article", { class: "card overall", id: "card-overall" },
      h("header", {}, h("h3", { text: TITLES.overall }), big, lab),
      h("p", { class: "muted", text: (rep.words ?? 0) + " words · " + (rep.language || "?") + (rep.language_detected ? " (detected)" : "") + (ans.cached ? " · cached" : "") }));
    overall = { card: ov, score: big, label: lab };
    setScore(overall, rep);
    cards.append(ov);
    for (const r of rep.results || []) { const c = scoreCard(r.type, r); cardOf[r.type] = c; cards.append(c.card); }
    if (list(draft.related).length) relatedCards(draft, rep.language, me);
    if (ans.status !== "pending" || !ans.stream_url) {
      status.append(h("p", { class: "ok", id: "analyze-done", text: "Complete." }));
      return;
    }
    for (const task of ans.pending || []) {
      const c = cardOf[task.split(".")[0]];
      if (c) fill(c.pending, h("p", { class: "waiting", text: "Waiting for the model…" }));
    }
    status.append(h("p", { class: "muted", id: "analyze-job", text: "Model work queued (" + ans.job_id + ")." }));
    const jobUrl = ans.job_url;
    stream(ans.stream_url, {
      "task.started": (d) => { const c = cardOf[(d.task || "").split(".")[0]]; if (c) fill(c.pending, h("p", { class: "waiting", text: "The model is reading…" })); },
      "task.result": (d) => {
        const c = cardOf[d.type];
        if (!c) return;
        clear(c.pending);
        const model = d.model || ((d.findings || []).find((f) => f.source && f.source !== "local") || {}).source;
        fill(c.model, h("p", { class: "muted small" }, model ? ["Model: ", badge(model, "model")] : "Model findings",
          d.simulated ? badge("simulated", "simulated") : null, d.cached ? " (cached)" : ""));
        for (const f of d.findings || []) c.add(f, d.simulated);
        if (d.score !== undefined) setScore(c, d);
      },
      "task.failed": (d) => {
        const c = cardOf[(d.task || "").split(".")[0]];
        if (c) fill(c.pending, errorBox({ code: d.code, message: d.message }));
      },
      "job.retrying": (d) => { status.append(h("p", { class: "muted", text: "Retrying: " + (d.message || d.code || "") })); },
      done: async (d) => {
        fill(status, h("p", { class: d.status === "succeeded" ? "ok" : "warn", id: "analyze-done", text: "Done: " + d.status + "." }));
        if (d.error) status.append(errorBox(d.error));
        for (const c of Object.values(cardOf)) if (c.pending.querySelector(".waiting")) clear(c.pending);
        // The merged report's overall score counts the model's findings.
        if (jobUrl && (d.status === "succeeded" || d.status === "partial")) {
          try {
            const { body: job } = await get(jobUrl);
            if (job.result && job.result.score !== undefined) setScore(overall, job.result);
          } catch (e) { status.append(errorBox(e)); }
        }
      },
      error: (e) => status.append(errorBox(e)),
    });
  }

  return () => { draft = read(); };
}

// lengthBar is a labelled bar of a measure against its limit, coloured by
// band (good, ok, poor).
function lengthBar(id) {
  const fillEl = h("div", { class: "bar-fill" });
  const label = h("span", { class: "bar-label" });
  const value = h("span", { class: "bar-value" });
  const track = h("div", { class: "bar-track", role: "meter", "aria-valuemin": 0 }, fillEl);
  const el = h("div", { class: "length-bar", id }, h("div", { class: "bar-head" }, label, value), track);
  return {
    el,
    set(name, v, max, text, band) {
      label.textContent = name;
      value.textContent = text;
      track.setAttribute("aria-label", name);
      track.setAttribute("aria-valuenow", String(v));
      track.setAttribute("aria-valuemax", String(max));
      track.setAttribute("aria-valuetext", text);
      fillEl.style.width = Math.min(100, (v / max) * 100) + "%";
      el.dataset.band = band;
      el.dataset.value = String(v);
    },
  };
}
