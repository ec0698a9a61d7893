// export.js copies text to the clipboard and offers files for download,
// without markup strings reaching the page (the text goes to the clipboard
// or into a Blob as it is).

import { h } from "./dom.js";

// copyText puts text on the clipboard; where the Clipboard API is refused
// (no secure context, no permission) a hidden textarea is copied instead.
// It resolves to true when the text was copied.
export async function copyText(text) {
  try {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) { /* fall back below */ }
  const ta = h("textarea", { readOnly: true, "aria-hidden": "true", class: "offscreen", value: text });
  document.body.append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
  ta.remove();
  return ok;
}

// download offers text as a file named name of the given MIME type.
export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: name, class: "offscreen" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// copyButton is a button that copies what get() returns and says so.
export function copyButton(label, get, attrs = {}) {
  const b = h("button", { type: "button", class: "ghost small-btn", text: label, ...attrs });
  b.addEventListener("click", async () => {
    const ok = await copyText(get());
    const was = label;
    b.textContent = ok ? "Copied" : "Copy failed";
    b.dataset.copied = ok ? "yes" : "no";
    setTimeout(() => { b.textContent = was; }, 1500);
  });
  return b;
}

// slugName makes a file name from a title.
export function slugName(s, fallback = "page") {
  const out = s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return out || fallback;
}
