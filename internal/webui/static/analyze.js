// analyze.js: the analysis page. The local report shows at once; model
// deepening (grammar, tone) streams in over the job's events, each
// finding appended to its card with its source.

import { h, fill, clear, errorBox, skeleton, badge, checkboxes, select, field } from "./dom.js";
import { post, stream } from "./api.js";
import { segments } from "./spans.js";
import { LANGUAGES, LANGUAGE_NAMES } from "./languages.js";

const TYPES = ["readability", "seo", "structure", "grammar", "tone", "sentiment"];
const TITLES = { overall: "Overall", readability: "Readability", seo: "SEO", structure: "Structure", grammar: "Grammar", tone: "Tone", sentiment: "Sentiment" };
const SAMPLE = "# Fresh bread\n\nOur bakery bakes fresh bread every morning. You can order online and pick it up at seven.\n";

let draft = { content: SAMPLE, format: "markdown", language: "", keyphrase: "fresh bread", deep: [] };

export function render(main) {
  const content = h("textarea", { name: "content", id: "analyze-content", rows: 12, spellcheck: "false", value: draft.content });
  const format = select("analyze-format", [["text", "Text"], ["markdown", "Markdown"], ["html", "HTML"]], draft.format);
  const language = select("analyze-language", [["", "Detect"], ...LANGUAGES.map((l) => [l, LANGUAGE_NAMES[l]])], draft.language);
  const keyphrase = h("input", { type: "text", name: "keyphrase", id: "analyze-keyphrase", value: draft.keyphrase });
  const deep = checkboxes("Deepen with a model", "deep", [{ value: "grammar", label: "grammar" }, { value: "tone", label: "tone" }], draft.deep);
  const button = h("button", { type: "submit", id: "analyze-submit", text: "Analyze" });
  const status = h("div", { class: "status", id: "analyze-status" });
  const preview = h("pre", { class: "preview", id: "analyze-preview", "aria-label": "Analyzed text" });
  const cards = h("div", { class: "grid cards", id: "analyze-cards" });
  cards.append(...TYPES.slice(0, 3).map(() => h("div", { class: "card placeholder" }, h("p", { class: "muted", text: "Results appear here." }))));

  const form = h("form", { class: "card form", id: "analyze-form", on: { submit: (ev) => { ev.preventDefault(); run(); } } },
    h("h1", { text: "Analyze" }),
    field("Content", content, "Paste text, Markdown or HTML."),
    h("div", { class: "row" }, field("Format", format), field("Language", language), field("Keyphrase", keyphrase)),
    deep.el, button, status);

  main.append(h("section", { class: "page two" }, form,
    h("div", { class: "results" }, h("h2", { text: "Preview" }), preview, h("h2", { text: "Results" }), cards)));

  let text = "";
  const cardOf = {};

  function highlight(spans, item) {
    for (const el of cards.querySelectorAll(".finding.selected")) el.classList.remove("selected");
    if (item) item.classList.add("selected");
    clear(preview);
    let first = null;
    for (const seg of segments(text, spans)) {
      if (seg.mark) {
        const m = h("mark", { text: seg.text });
        if (!first) first = m;
        preview.append(m);
      } else {
        preview.append(seg.text);
      }
    }
    // Scroll the preview only, never the page.
    if (first) preview.scrollTop = Math.max(0, first.offsetTop - preview.offsetTop - 24);
  }

  function findingItem(f, simulated) {
    const spans = f.spans || [];
    const item = h("li", { class: "finding sev-" + (f.severity || "info") + (spans.length ? " has-spans" : ""), tabindex: spans.length ? 0 : null, "data-rule": f.rule || "", "data-source": f.source || "" },
      h("span", { class: "sev", title: f.severity || "", text: f.severity || "" }),
      h("span", { class: "msg", text: f.message || f.rule || "" }),
      h("span", { class: "src" }, badge(f.source === "local" || !f.source ? "local" : f.source, f.source === "local" || !f.source ? "local" : "model"),
        simulated ? badge("simulated", "simulated") : null));
    if (spans.length) {
      const pick = () => highlight(spans, item);
      item.addEventListener("click", pick);
      item.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(); } });
    }
    return item;
  }

  // A card lists what needs attention; passed checks fold away.
  function scoreCard(type, r) {
    const list = h("ul", { class: "findings" });
    const passedList = h("ul", { class: "findings" });
    const passed = h("details", { class: "passed", hidden: true }, h("summary", {}), passedList);
    const pending = h("div", { class: "pending" });
    const card = h("article", { class: "card result label-" + (r.label || ""), "data-type": type, id: "card-" + type },
      h("header", {}, h("h3", { text: TITLES[type] || type }), h("span", { class: "score", text: String(r.score ?? "–") }), badge(r.label || "", "label")),
      list, passed, pending);
    const c = {
      card, list, pending,
      add(f, simulated) {
        const good = f.severity === "good";
        (good ? passedList : list).append(findingItem(f, simulated));
        if (good) {
          passed.hidden = false;
          passed.firstChild.textContent = passedList.children.length + " passed";
        }
      },
    };
    for (const f of r.findings || []) c.add(f, false);
    cardOf[type] = c;
    return card;
  }

  async function run() {
    draft = { content: content.value, format: format.value, language: language.value, keyphrase: keyphrase.value, deep: deep.values() };
    text = draft.content;
    clear(status);
    highlight([], null);
    clear(cards);
    cards.append(...TYPES.map(() => h("div", { class: "card skeleton-card" }, skeleton(3))));
    button.disabled = true;
    const body = { content: draft.content, format: draft.format };
    if (draft.language) body.language = draft.language;
    if (draft.keyphrase.trim()) body.keyphrase = draft.keyphrase.trim();
    if (draft.deep.length) body.deep = draft.deep;
    let ans;
    try {
      ({ body: ans } = await post("/v1/analyses", body));
    } catch (e) {
      clear(cards);
      status.append(errorBox(e));
      return;
    } finally {
      button.disabled = false;
    }
    const rep = ans.report || {};
    clear(cards);
    cards.append(h("article", { class: "card overall label-" + (rep.label || ""), id: "card-overall" },
      h("header", {}, h("h3", { text: TITLES.overall }), h("span", { class: "score big", text: String(rep.score ?? "–") }), badge(rep.label || "", "label")),
      h("p", { class: "muted", text: (rep.words ?? 0) + " words · " + (rep.language || "?") + (rep.language_detected ? " (detected)" : "") + (ans.cached ? " · cached" : "") })));
    for (const r of rep.results || []) cards.append(scoreCard(r.type, r));
    if (ans.status !== "pending" || !ans.stream_url) {
      status.append(h("p", { class: "ok", text: "Complete." }));
      return;
    }
    for (const task of ans.pending || []) {
      const type = task.split(".")[0];
      const c = cardOf[type];
      if (c) fill(c.pending, h("p", { class: "waiting", text: "Waiting for the model…" }));
    }
    status.append(h("p", { class: "muted", id: "analyze-job", text: "Model work queued (" + ans.job_id + ")." }));
    stream(ans.stream_url, {
      "task.started": (d) => { const c = cardOf[(d.task || "").split(".")[0]]; if (c) fill(c.pending, h("p", { class: "waiting", text: "The model is reading…" })); },
      "task.result": (d) => {
        const c = cardOf[d.type];
        if (!c) return;
        fill(c.pending, h("p", { class: "muted small" }, "Model: ", badge(d.model || "unknown", "model"), d.simulated ? badge("simulated", "simulated") : null, d.cached ? " (cached)" : ""));
        for (const f of d.findings || []) c.add(f, d.simulated);
      },
      "task.failed": (d) => {
        const c = cardOf[(d.task || "").split(".")[0]];
        if (c) fill(c.pending, errorBox({ code: d.code, message: d.message }));
      },
      "job.retrying": (d) => { status.append(h("p", { class: "muted", text: "Retrying: " + (d.message || d.code || "") })); },
      done: (d) => {
        fill(status, h("p", { class: d.status === "succeeded" ? "ok" : "warn", id: "analyze-done", text: "Done: " + d.status + "." }));
        if (d.error) status.append(errorBox(d.error));
        for (const c of Object.values(cardOf)) if (c.pending.querySelector(".waiting")) clear(c.pending);
      },
      error: (e) => status.append(errorBox(e)),
    });
  }

  return () => { draft = { content: content.value, format: format.value, language: language.value, keyphrase: keyphrase.value, deep: deep.values() }; };
}
