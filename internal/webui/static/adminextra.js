// adminextra.js: the admin page's sections for one customer's content and
// money: usage this month (by user, API key and model, with the CSV the
// API writes), the glossary, and the translation memory (TMX import,
// export and delete). Everything is scoped by the API: an ADMIN may pass
// any customer_id, a CLIENT gets 403 for another customer's. Names, terms
// and file contents are shown as text only.

import { h, fill, clear, errorBox, skeleton } from "./dom.js";
import { get, put, request } from "./api.js";
import { download } from "./export.js";
import { moneyIn } from "./dashboard.js";

const q = encodeURIComponent;
const day = (d) => d.toISOString().slice(0, 10);

// monthRange is this calendar month (UTC) as the usage API's from and to.
function monthRange() {
  const now = new Date();
  return "from=" + day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))) + "&to=" + day(now);
}

// showUsage lists the customer's spending this month by user, by API key
// and by model, and downloads the report as CSV (GET /v1/usage.csv).
export async function showUsage(sec, customer, currency, users) {
  const title = h("h2", { text: "Usage this month" });
  fill(sec, title, skeleton(2));
  let keys = [];
  try { keys = (await get("/v1/keys?customer_id=" + q(customer))).body.keys || []; } catch (_) { /* ids are shown instead */ }
  const base = "customer_id=" + q(customer) + "&" + monthRange();
  const email = Object.fromEntries(users.map((u) => [u.id, u.email]));
  const keyName = Object.fromEntries(keys.map((k) => [k.id, (k.name || "") + " (" + k.prefix + "…)"]));
  const msg = h("div", { class: "status" });
  const csv = h("button", { type: "button", class: "ghost small-btn", id: "adm-usage-csv", text: "Download CSV", on: { click: async () => {
    clear(msg);
    try {
      const { body } = await request("GET", "/v1/usage.csv?" + base, undefined, { text: true });
      download("copydesk-usage-" + customer + ".csv", "text/csv", body);
      fill(msg, h("p", { class: "ok", text: "Downloaded." }));
    } catch (e) { fill(msg, errorBox(e)); }
  } } });
  try {
    const [byUser, byKey, byModel] = await Promise.all(["user", "key", "model"].map((g) => get("/v1/usage?" + base + "&group=" + g)));
    const money = moneyIn(byUser.body.currency || currency);
    const table = (id, head, body, label) => (body.rows || []).length
      ? h("table", { class: "admin-table", id },
        h("thead", {}, h("tr", {}, [head, "Calls", "Cache hits", "Tokens", "Cost", "Saved"].map((t, i) => h("th", { class: i ? "num" : "", text: t })))),
        h("tbody", {}, body.rows.slice().sort((a, b) => (b.cost || 0) - (a.cost || 0)).map((r) => h("tr", {},
          h("td", { text: label(r) }), h("td", { class: "num", text: String(r.calls || 0) }), h("td", { class: "num", text: String(r.cache_hits || 0) }),
          h("td", { class: "num", text: String((r.input_tokens || 0) + (r.output_tokens || 0)) }),
          h("td", { class: "num", text: money(r.cost || 0) }), h("td", { class: "num", text: money(r.saved || 0) })))))
      : h("p", { class: "muted", text: "Nothing this month." });
    const t = byUser.body.totals || {};
    fill(sec, title,
      h("p", { id: "adm-usage-total", text: "Total " + money(t.cost || 0) + " in " + (t.calls || 0) + ((t.calls || 0) === 1 ? " call (" : " calls (") + (t.cache_hits || 0) + " from the cache, " + money(t.saved || 0) + " saved)." }),
      h("div", { class: "actions" }, csv), msg,
      h("h3", { text: "By user" }), table("adm-usage-users", "User", byUser.body, (r) => email[r.user_id] || r.user_id || "–"),
      h("h3", { text: "By API key" }), table("adm-usage-keys", "Key", byKey.body, (r) => (r.key_id ? keyName[r.key_id] || r.key_id : "browser session")),
      h("h3", { text: "By model" }), table("adm-usage-models", "Model", byModel.body, (r) => r.model || "–"));
  } catch (e) {
    fill(sec, title, errorBox(e));
  }
}

// showGlossary edits the customer's glossary (GET/PUT /v1/glossary): one
// row per term with its translations as "nl=…, de=…" or kept as is.
export async function showGlossary(sec, customer) {
  const title = h("h2", { text: "Glossary" });
  fill(sec, title, skeleton(2));
  let terms = [];
  try {
    terms = (await get("/v1/glossary?customer_id=" + q(customer))).body.terms || [];
  } catch (e) { fill(sec, title, errorBox(e)); return; }
  const tbody = h("tbody", {});
  const msg = h("div", { class: "status" });
  const addRow = (t = { term: "", do_not_translate: false, translations: {} }) => {
    const term = h("input", { type: "text", class: "gl-term", value: t.term || "", "aria-label": "Term" });
    const keep = h("input", { type: "checkbox", class: "gl-keep", checked: !!t.do_not_translate, "aria-label": "Keep as is" });
    const tr = h("input", { type: "text", class: "gl-translations", value: Object.entries(t.translations || {}).map(([l, v]) => l + "=" + v).join(", "),
      placeholder: "nl=…, de=…", "aria-label": "Translations" });
    const row = h("tr", {}, h("td", {}, term), h("td", {}, keep), h("td", {}, tr),
      h("td", {}, h("button", { type: "button", class: "ghost small-btn", text: "Remove", on: { click: () => row.remove() } })));
    tbody.append(row);
  };
  terms.forEach(addRow);
  const save = h("button", { type: "button", id: "adm-gl-save", text: "Save glossary", on: { click: async () => {
    clear(msg);
    const out = [];
    for (const row of tbody.children) {
      const term = row.querySelector(".gl-term").value.trim();
      if (!term) continue;
      const translations = {};
      for (const part of row.querySelector(".gl-translations").value.split(",")) {
        const [l, ...v] = part.split("=");
        if (l.trim() && v.join("=").trim()) translations[l.trim()] = v.join("=").trim();
      }
      out.push({ term, do_not_translate: row.querySelector(".gl-keep").checked, translations });
    }
    save.disabled = true;
    try {
      const { body } = await put("/v1/glossary?customer_id=" + q(customer), { terms: out });
      fill(msg, h("p", { class: "ok", text: "Saved " + (body.terms || []).length + ((body.terms || []).length === 1 ? " term." : " terms.") }));
    } catch (e) { fill(msg, errorBox(e)); } finally { save.disabled = false; }
  } } });
  fill(sec, title,
    h("table", { class: "admin-table", id: "adm-glossary" },
      h("thead", {}, h("tr", {}, ["Term", "Keep", "Translations", ""].map((t) => h("th", { text: t })))), tbody),
    h("div", { class: "actions" }, h("button", { type: "button", class: "ghost small-btn", id: "adm-gl-add", text: "Add term", on: { click: () => addRow() } }), save), msg);
}

// showTM imports a TMX file into the customer's translation memory
// (POST /v1/translation-memory), exports it (GET, TMX 1.4b) and deletes it.
export function showTM(sec, customer) {
  const msg = h("div", { class: "status", id: "adm-tm-result" });
  const file = h("input", { type: "file", id: "adm-tm-file", accept: ".tmx,.xml,application/x-tmx+xml,application/xml" });
  const run = async (fn) => {
    clear(msg);
    try { fill(msg, h("p", { class: "ok", text: await fn() })); } catch (e) { fill(msg, errorBox(e)); }
  };
  const path = "/v1/translation-memory?customer_id=" + q(customer);
  fill(sec, h("h2", { text: "Translation memory" }),
    h("p", { class: "muted small", text: "Import and export TMX 1.4b. Imported pairs answer later translations without a model." }),
    h("div", { class: "tm-actions" },
      h("label", { class: "field" }, h("span", { class: "label", text: "TMX file" }), file),
      h("button", { type: "button", id: "adm-tm-import", text: "Import", on: { click: () => run(async () => {
        const f = file.files && file.files[0];
        if (!f) throw { code: "invalid", message: "choose a TMX file first" };
        const { body: r } = await request("POST", path, f, { type: "application/x-tmx+xml" });
        return "Imported " + r.entries + " pairs (" + r.skipped + " skipped; " + (r.languages || []).join(", ") + ").";
      }) } }),
      h("button", { type: "button", class: "ghost", id: "adm-tm-export", text: "Export TMX", on: { click: () => run(async () => {
        const { body } = await request("GET", path, undefined, { text: true });
        download("copydesk-" + customer + ".tmx", "application/x-tmx+xml", body);
        return "Exported.";
      }) } }),
      h("button", { type: "button", class: "ghost danger", id: "adm-tm-delete", text: "Delete all", on: { click: () => {
        if (window.confirm("Delete this customer's whole translation memory?")) run(async () => "Deleted " + (await request("DELETE", path)).body.deleted + " entries.");
      } } })),
    msg);
}
