// blockedit.js turns an edited block back into what the page exports. The
// editor types into the block's sandboxed frame (its body made editable;
// the frame runs no script), and on save cleanBlock rebuilds the edited
// tree in a fresh element from an allow-list — the block templates' tags,
// cd-* classes on sections, links with a safe scheme — so that whatever was
// typed or pasted (a <script>, an onerror, a style) never reaches the
// exported HTML. The Markdown is written from the same clean tree, in the
// server's style (Markdown syntax in the text escaped).

import { h } from "./dom.js";

// KEEP maps an edited element's tag to the tag kept in the export; tags
// not listed are unwrapped (their text kept), SKIP ones dropped whole.
const KEEP = {
  SECTION: "section", ARTICLE: "section", H1: "h1", H2: "h2", H3: "h3", H4: "h4", H5: "h5", H6: "h6",
  P: "p", DIV: "p", UL: "ul", OL: "ol", LI: "li", STRONG: "strong", B: "strong", EM: "em", I: "em",
  A: "a", BLOCKQUOTE: "blockquote", FIGURE: "figure", FIGCAPTION: "figcaption", DL: "dl", DT: "dt", DD: "dd", BR: "br",
};
const SKIP = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "SVG", "MATH", "HEAD", "TITLE", "META", "LINK", "NOSCRIPT", "IMG", "VIDEO", "AUDIO", "FORM", "INPUT", "BUTTON", "TEXTAREA", "SELECT"]);
const CLASS_OK = /^cd-[a-z]+( cd-[a-z]+)*$/;
const HREF_OK = /^(https?:\/\/|mailto:|tel:|#|\/(?!\/))[^\s<>"'`\\]*$/i;
const BLOCKS = new Set(["section", "h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "blockquote", "figure", "figcaption", "dl", "dt", "dd"]);

// cleanBlock rebuilds the children of an edited body from the allow-list
// and returns {html, markdown}.
export function cleanBlock(body) {
  const root = h("div", {});
  copyChildren(body, root);
  const html = root.innerHTML.trim();
  const markdown = blocksMarkdown(root).replace(/\n{3,}/g, "\n\n").trim() + "\n";
  return { html, markdown };
}

function copyChildren(from, to) {
  for (const n of from.childNodes) {
    if (n.nodeType === Node.TEXT_NODE) {
      to.append(n.data);
      continue;
    }
    if (n.nodeType !== Node.ELEMENT_NODE || SKIP.has(n.tagName.toUpperCase())) continue;
    const tag = KEEP[n.tagName.toUpperCase()];
    if (!tag) { copyChildren(n, to); continue; }
    const el = document.createElement(tag);
    if (tag === "section") {
      const cls = n.getAttribute("class") || "";
      if (CLASS_OK.test(cls)) el.setAttribute("class", cls);
    }
    if (tag === "a") {
      const href = (n.getAttribute("href") || "").trim();
      el.setAttribute("href", HREF_OK.test(href) ? href : "#");
    }
    if (tag !== "br") copyChildren(n, el);
    // An empty paragraph left by pressing Enter twice is dropped.
    if (tag !== "br" && BLOCKS.has(tag) && !el.textContent.trim() && !el.querySelector("br")) continue;
    to.append(el);
  }
}

// mdText escapes Markdown syntax in plain text, as the server's md does.
function mdText(s) {
  return s.replace(/\s+/g, " ").replace(/[\\`*_[\]<>&~|#]/g, (c) => "\\" + c);
}

function inline(el) {
  let out = "";
  for (const n of el.childNodes) {
    if (n.nodeType === Node.TEXT_NODE) { out += mdText(n.data); continue; }
    if (n.nodeType !== Node.ELEMENT_NODE) continue;
    const tag = n.tagName.toLowerCase();
    const inner = inline(n).trim();
    if (tag === "strong") out += inner ? "**" + inner + "**" : "";
    else if (tag === "em") out += inner ? "_" + inner + "_" : "";
    else if (tag === "a") out += "[" + inner + "](<" + n.getAttribute("href") + ">)";
    else if (tag === "br") out += "  \n";
    else if (/^h[1-6]$/.test(tag)) out += inner ? "**" + inner + "**: " : "";
    else out += (out && !out.endsWith(" ") ? " " : "") + inner;
  }
  return out.replace(/^ +| +$/g, "").replace(/: $/, "");
}

function blocksMarkdown(el) {
  const parts = [];
  let loose = "";
  const flush = () => { if (loose.trim()) parts.push(loose.trim()); loose = ""; };
  for (const n of el.childNodes) {
    if (n.nodeType === Node.TEXT_NODE) { loose += mdText(n.data); continue; }
    if (n.nodeType !== Node.ELEMENT_NODE) continue;
    const tag = n.tagName.toLowerCase();
    if (!BLOCKS.has(tag)) { loose += inline(h("span", {}, n.cloneNode(true))); continue; }
    flush();
    if (/^h[1-6]$/.test(tag)) parts.push("#".repeat(Number(tag[1])) + " " + inline(n));
    else if (tag === "p" || tag === "figcaption") parts.push(inline(n));
    else if (tag === "ul" || tag === "ol") {
      let i = 0;
      parts.push([...n.children].map((li) => (tag === "ol" ? ++i + ". " : "- ") + inline(li)).join("\n"));
    } else if (tag === "blockquote") parts.push(blocksMarkdown(n).split("\n").map((l) => "> " + l).join("\n"));
    else if (tag === "dl") parts.push([...n.children].map((c) => (c.tagName === "DT" ? "**" + inline(c) + "**" : inline(c))).join("\n\n"));
    else parts.push(blocksMarkdown(n));
  }
  flush();
  return parts.filter((p) => p.trim()).join("\n\n");
}
