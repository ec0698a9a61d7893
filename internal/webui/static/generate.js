// generate.js: the generation page. One card per block, filled as its
// task.result arrives; the model's text streams into the card while the
// block is written (a task.restarted drops what an earlier attempt
// streamed); a failure shows on its card. A finished block is shown in a
// sandboxed frame as tall as its content, and each block and the whole
// page can be copied as HTML or Markdown or downloaded; a block can be
// written again (with instructions) once the page is done. Edit text makes
// a finished block's frame editable; Save keeps the edit (cleaned, see
// blockedit.js) as the block's HTML and Markdown, which every copy and
// download then exports.

import { h, fill, clear, errorBox, skeleton, badge, checkboxes, select, field } from "./dom.js";
import { post, stream } from "./api.js";
import { copyButton, download, slugName } from "./export.js";
import { LANGUAGES, LANGUAGE_NAMES } from "./languages.js";
import { cleanBlock } from "./blockedit.js";

const BLOCK_TITLES = { hero: "Hero", features: "Features", about: "About", services: "Services", testimonials: "Testimonials", faq: "FAQ", cta: "Call to action", pricing: "Pricing", contact: "Contact" };
const BLOCKS = ["hero", "features", "about", "services", "testimonials", "faq", "cta", "pricing", "contact"];
let draft = { name: "Bakkerij Jansen", industry: "bakery", audience: "families in Utrecht", tone: "friendly", language: "en", keywords: "fresh bread, sourdough", blocks: ["hero", "features", "cta"] };

// blockDocument is the srcdoc of a block's frame: the server-sanitized
// HTML in a sandboxed document (no allow-scripts) whose own policy allows
// nothing but the block stylesheet. The frame keeps the page's origin
// (allow-same-origin, without scripts nothing in it can use it) so the
// page can read its height.
export function blockDocument(html) {
  const assets = location.origin + document.body.dataset.assets;
  const csp = "default-src 'none'; style-src " + location.origin + "; img-src https: data:";
  return "<!doctype html><html><head><meta charset=\"utf-8\">" +
    "<meta http-equiv=\"Content-Security-Policy\" content=\"" + csp + "\">" +
    "<link rel=\"stylesheet\" href=\"" + assets + "/block.css\"></head><body>" + html + "</body></html>";
}

// blockFrame shows a block's HTML in a sandboxed frame that grows to the
// height of its content (read once loaded and again when the page is
// resized: the frame runs no script of its own).
function blockFrame(title, html) {
  const frame = h("iframe", { sandbox: "allow-same-origin", referrerpolicy: "no-referrer", title, class: "block-frame", srcdoc: blockDocument(html) });
  const fit = () => {
    const doc = frame.contentDocument;
    if (doc && doc.documentElement) frame.style.height = Math.max(40, doc.documentElement.scrollHeight) + "px";
  };
  frame.addEventListener("load", () => {
    frame.dataset.loaded = "yes";
    fit();
    if (window.ResizeObserver && frame.contentDocument) new ResizeObserver(fit).observe(frame.contentDocument.documentElement);
  });
  return frame;
}

// pageDocument is the downloaded page: the blocks' (server-sanitized)
// HTML in a plain document, title and language set as text.
function pageDocument(title, lang, body) {
  const esc = (t) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  return "<!doctype html>\n<html lang=\"" + esc(lang || "en") + "\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + esc(title) + "</title>\n</head>\n<body>\n" + body + "\n</body>\n</html>\n";
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
    const order = [];
    for (const task of ans.blocks || []) {
      const [, index, type] = task.split(".");
      const state = h("span", { class: "state", text: "queued" });
      const streamText = h("pre", { class: "stream", hidden: true });
      const bodyEl = h("div", { class: "block-body" }, skeleton(4));
      const meta = h("div", { class: "meta" });
      const actions = h("div", { class: "actions", hidden: true });
      const card = h("article", { class: "card block pending", "data-task": task, "data-type": type },
        h("header", {}, h("h3", { text: index + ". " + (BLOCK_TITLES[type] || type) }), state), bodyEl, streamText, meta, actions);
      byTask[task] = { card, state, streamText, bodyEl, meta, actions, attempt: 1, html: "", markdown: "", type, version: 0, takes: 1 };
      order.push(byTask[task]);
      cards.append(card);
    }
    const pageHTML = () => order.filter((b) => b.html).map((b) => b.html).join("\n");
    const pageMarkdown = () => order.filter((b) => b.markdown).map((b) => b.markdown.trim()).join("\n\n") + "\n";
    const title = draft.name.trim();
    const pageActions = h("div", { class: "actions page-actions", id: "gen-actions", hidden: true },
      copyButton("Copy page as HTML", pageHTML, { id: "gen-copy-html" }),
      copyButton("Copy page as Markdown", pageMarkdown, { id: "gen-copy-md" }),
      h("button", { type: "button", class: "ghost small-btn", id: "gen-download-html", text: "Download HTML",
        on: { click: () => download(slugName(title) + ".html", "text/html", pageDocument(title, draft.language, pageHTML())) } }),
      h("button", { type: "button", class: "ghost small-btn", id: "gen-download-md", text: "Download Markdown",
        on: { click: () => download(slugName(title) + ".md", "text/markdown", pageMarkdown()) } }));
    status.append(h("p", { class: "muted", text: "Writing " + (ans.blocks || []).length + " blocks (" + ans.job_id + ")." }));
    cards.before(pageActions);
    const restart = (b) => {
      b.streamText.textContent = "";
      b.streamText.hidden = true;
      b.card.classList.remove("done", "failed");
      b.card.classList.add("pending");
      b.state.textContent = "restarted";
      b.html = b.markdown = "";
      b.actions.hidden = true;
      fill(b.bodyEl, skeleton(4));
      clear(b.meta);
    };
    let busy = true; // one stream at a time: regenerating waits for the page
    const follow = (url, byTask, onDone) => stream(url, {
      "task.restarted": (d) => { const b = byTask[d.task]; if (b) restart(b); },
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
        b.html = d.html || "";
        b.markdown = d.markdown || "";
        b.version = (b.version || 0) + 1;
        b.card.dataset.version = String(b.version);
        b.frame = blockFrame(d.type + " block", b.html);
        fill(b.bodyEl, b.frame);
        fill(b.meta, badge(d.model || "model", "model"), d.simulated ? badge("simulated", "simulated") : null, d.cached ? badge("cached", "") : null);
        fill(b.actions, copyButton("Copy HTML", () => b.html, { class: "ghost small-btn copy-html" }), copyButton("Copy Markdown", () => b.markdown, { class: "ghost small-btn copy-md" }),
          editor(b), regenerate(b));
        b.actions.hidden = false;
        pageActions.hidden = false;
      },
      "task.failed": (d) => {
        const b = byTask[d.task];
        if (!b) return;
        b.card.classList.remove("pending");
        b.card.classList.add("failed");
        b.state.textContent = "failed";
        b.streamText.hidden = true;
        fill(b.bodyEl, errorBox({ code: d.code, message: d.message }));
        fill(b.actions, regenerate(b));
        b.actions.hidden = false;
      },
      "job.retrying": (d) => status.append(h("p", { class: "muted", text: "Retrying: " + (d.message || d.code || "") })),
      done: (d) => { busy = false; onDone(d); },
      error: (e) => { busy = false; status.append(errorBox(e)); },
    });

    // editor lets the editor change a finished block's text in its frame:
    // Edit text makes the frame's body editable (the frame still runs no
    // script), Save keeps the cleaned edit as the block's HTML and
    // Markdown, Cancel restores the block as it was.
    const editor = (b) => {
      const note = h("span", { class: "small muted edit-note", role: "status" });
      const cancel = h("button", { type: "button", class: "ghost small-btn edit-cancel", text: "Cancel", hidden: true });
      const toggle = h("button", { type: "button", class: "ghost small-btn edit-block", text: "Edit text", "aria-pressed": "false" });
      const doc = () => b.frame && b.frame.contentDocument;
      const stop = () => {
        const d = doc();
        if (d && d.body) d.body.contentEditable = "false";
        b.card.classList.remove("editing");
        toggle.textContent = "Edit text";
        toggle.setAttribute("aria-pressed", "false");
        cancel.hidden = true;
      };
      toggle.addEventListener("click", async () => {
        // The block's document must be loaded before it is made editable
        // (an earlier about:blank would be replaced under the editor).
        if (b.frame && b.frame.dataset.loaded !== "yes") await new Promise((r) => b.frame.addEventListener("load", r, { once: true }));
        const d = doc();
        if (!d || !d.body) return;
        if (!b.card.classList.contains("editing")) {
          d.body.contentEditable = "true";
          d.body.setAttribute("aria-label", "Text of the " + b.type + " block");
          b.card.classList.add("editing");
          toggle.textContent = "Save edits";
          toggle.setAttribute("aria-pressed", "true");
          cancel.hidden = false;
          note.textContent = "Type in the block; Save keeps the text for copy and download.";
          b.frame.focus();
          d.body.focus();
          return;
        }
        const out = cleanBlock(d.body);
        stop();
        b.html = out.html;
        b.markdown = out.markdown;
        b.edited = true;
        b.card.dataset.edited = "yes";
        // The frame shows the cleaned block, exactly what will be exported.
        b.frame.dataset.loaded = "";
        b.frame.srcdoc = blockDocument(b.html);
        note.textContent = "Edited: copy and download use your text.";
      });
      cancel.addEventListener("click", () => {
        stop();
        b.frame.dataset.loaded = "";
        b.frame.srcdoc = blockDocument(b.html);
        note.textContent = "";
      });
      return h("span", { class: "edit-row" }, toggle, cancel, note);
    };

    // regenerate writes one block again (a new job of that block alone):
    // the editor's instructions, or a request for another version, make
    // it a new prompt, so the cache does not answer with the same text.
    const regenerate = (b) => {
      const note = h("input", { type: "text", class: "regen-note", placeholder: "instructions, e.g. shorter", "aria-label": "Instructions for the new version of " + b.type });
      const go = h("button", { type: "button", class: "ghost small-btn regen", text: "Regenerate", on: { click: async () => {
        if (busy) { status.append(h("p", { class: "muted", text: "Wait until the page is written." })); return; }
        b.takes = (b.takes || 1) + 1;
        const instructions = (note.value.trim() || "Write a fresh alternative to the earlier version") + " (version " + b.takes + ")";
        go.disabled = true;
        let res;
        try {
          ({ body: res } = await post("/v1/generations", { ...body, blocks: [b.type], instructions }));
        } catch (e) {
          go.disabled = false;
          status.append(errorBox(e));
          return;
        }
        busy = true;
        restart(b);
        b.state.textContent = "queued";
        follow(res.stream_url, { [(res.blocks || [])[0]]: b }, (d) => {
          if (d.status !== "succeeded") status.append(h("p", { class: "warn", text: "Regenerating " + b.type + ": " + d.status + "." }));
        });
      } } });
      return h("span", { class: "regen-row" }, note, go);
    };

    follow(ans.stream_url, byTask, (d) => {
      fill(status, h("p", { class: d.status === "succeeded" ? "ok" : "warn", id: "gen-done", text: "Done: " + d.status + "." }));
      if (d.error) status.append(errorBox(d.error));
    });
  }
  return save;
}
