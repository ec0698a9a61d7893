// generate.js: the generation page. One card per block, filled as its
// task.result arrives; the model's text streams into the card while the
// block is written; a failure shows on its card.

import { h, fill, clear, errorBox, skeleton, badge, checkboxes, select, field } from "./dom.js";
import { post, stream } from "./api.js";
import { LANGUAGES, LANGUAGE_NAMES } from "./languages.js";

const BLOCK_TITLES = { hero: "Hero", features: "Features", about: "About", services: "Services", testimonials: "Testimonials", faq: "FAQ", cta: "Call to action", pricing: "Pricing", contact: "Contact" };
const BLOCKS = ["hero", "features", "about", "services", "testimonials", "faq", "cta", "pricing", "contact"];
let draft = { name: "Bakkerij Jansen", industry: "bakery", audience: "families in Utrecht", tone: "friendly", language: "en", keywords: "fresh bread, sourdough", blocks: ["hero", "features", "cta"] };

// blockDocument is the srcdoc of a block's frame: the server-sanitized
// HTML in a sandboxed document (no allow-scripts) whose own policy allows
// nothing but the block stylesheet.
export function blockDocument(html) {
  const assets = location.origin + document.body.dataset.assets;
  const csp = "default-src 'none'; style-src " + location.origin + "; img-src https: data:";
  return "<!doctype html><html><head><meta charset=\"utf-8\">" +
    "<meta http-equiv=\"Content-Security-Policy\" content=\"" + csp + "\">" +
    "<link rel=\"stylesheet\" href=\"" + assets + "/block.css\"></head><body>" + html + "</body></html>";
}

export function render(main) {
  const input = (name, value) => h("input", { type: "text", name, id: "gen-" + name, value });
  const name = input("name", draft.name), industry = input("industry", draft.industry), audience = input("audience", draft.audience);
  const tone = input("tone", draft.tone), keywords = input("keywords", draft.keywords);
  const language = select("gen-language", LANGUAGES.map((l) => [l, LANGUAGE_NAMES[l]]), draft.language);
  const blocks = checkboxes("Blocks", "blocks", BLOCKS, draft.blocks);
  const button = h("button", { type: "submit", id: "gen-submit", text: "Generate" });
  const status = h("div", { class: "status", id: "gen-status" });
  const cards = h("div", { class: "grid blocks", id: "gen-cards" }, h("div", { class: "card placeholder" }, h("p", { class: "muted", text: "Blocks appear here as they are written." })));
  const save = () => { draft = { name: name.value, industry: industry.value, audience: audience.value, tone: tone.value, language: language.value, keywords: keywords.value, blocks: blocks.values() }; };

  const form = h("form", { class: "card form", id: "gen-form", on: { submit: (ev) => { ev.preventDefault(); run(); } } },
    h("h1", { text: "Generate" }),
    field("Business name", name), field("Industry", industry), field("Audience", audience),
    h("div", { class: "row" }, field("Tone", tone), field("Language", language)),
    field("Keywords", keywords, "Comma-separated."), blocks.el, button, status);
  main.append(h("section", { class: "page two" }, form, h("div", { class: "results" }, h("h2", { text: "Blocks" }), cards)));

  async function run() {
    save();
    clear(status);
    if (!draft.name.trim()) { status.append(errorBox({ code: "invalid", message: "the business needs a name" })); return; }
    const body = {
      business: { name: draft.name.trim(), industry: draft.industry.trim(), audience: draft.audience.trim(), tone: draft.tone.trim(), language: draft.language,
        keywords: draft.keywords.split(",").map((k) => k.trim()).filter(Boolean) },
      blocks: draft.blocks,
    };
    button.disabled = true;
    clear(cards);
    cards.append(...draft.blocks.map(() => h("div", { class: "card skeleton-card" }, skeleton(4))));
    let ans;
    try {
      ({ body: ans } = await post("/v1/generations", body));
    } catch (e) {
      clear(cards);
      status.append(errorBox(e));
      return;
    } finally {
      button.disabled = false;
    }
    clear(cards);
    const byTask = {};
    for (const task of ans.blocks || []) {
      const [, index, type] = task.split(".");
      const state = h("span", { class: "state", text: "queued" });
      const streamText = h("pre", { class: "stream", hidden: true });
      const bodyEl = h("div", { class: "block-body" }, skeleton(4));
      const meta = h("div", { class: "meta" });
      const card = h("article", { class: "card block pending", "data-task": task, "data-type": type },
        h("header", {}, h("h3", { text: index + ". " + (BLOCK_TITLES[type] || type) }), state), bodyEl, streamText, meta);
      byTask[task] = { card, state, streamText, bodyEl, meta, attempt: 1 };
      cards.append(card);
    }
    status.append(h("p", { class: "muted", text: "Writing " + (ans.blocks || []).length + " blocks (" + ans.job_id + ")." }));
    stream(ans.stream_url, {
      "task.started": (d) => { const b = byTask[d.task]; if (b) b.state.textContent = "writing…"; },
      delta: (d) => {
        const b = byTask[d.task];
        if (!b || b.card.classList.contains("done")) return;
        if ((d.attempt || 1) !== b.attempt) { b.attempt = d.attempt || 1; b.streamText.textContent = ""; }
        b.streamText.hidden = false;
        b.streamText.append(d.text || "");
        b.streamText.scrollTop = b.streamText.scrollHeight;
      },
      "task.result": (d) => {
        const b = byTask[d.task];
        if (!b) return;
        b.card.classList.remove("pending");
        b.card.classList.add("done");
        b.state.textContent = "done";
        b.streamText.hidden = true;
        const frame = h("iframe", { sandbox: "", referrerpolicy: "no-referrer", title: d.type + " block", class: "block-frame", srcdoc: blockDocument(d.html || "") });
        fill(b.bodyEl, frame);
        fill(b.meta, badge(d.model || "model", "model"), d.simulated ? badge("simulated", "simulated") : null, d.cached ? badge("cached", "") : null);
      },
      "task.failed": (d) => {
        const b = byTask[d.task];
        if (!b) return;
        b.card.classList.remove("pending");
        b.card.classList.add("failed");
        b.state.textContent = "failed";
        b.streamText.hidden = true;
        fill(b.bodyEl, errorBox({ code: d.code, message: d.message }));
      },
      "job.retrying": (d) => status.append(h("p", { class: "muted", text: "Retrying the page: " + (d.message || d.code || "") })),
      done: (d) => {
        fill(status, h("p", { class: d.status === "succeeded" ? "ok" : "warn", id: "gen-done", text: "Done: " + d.status + "." }));
        if (d.error) status.append(errorBox(d.error));
      },
      error: (e) => status.append(errorBox(e)),
    });
  }
  return save;
}
