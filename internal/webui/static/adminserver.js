// adminserver.js: the server-wide parts of the admin page — the model
// prices Copydesk costs calls with (ADMIN and CLIENT; read-only: prices
// change in the configuration file) and, for ADMIN, the alert rules with
// their thresholds and where alerts go (a webhook's URL is a secret: only
// its name, format and host are shown).

import { h, fill, errorBox, badge } from "./dom.js";
import { get } from "./api.js";
import { moneyIn } from "./dashboard.js";

// showPrices fills sec with GET /v1/prices.
export async function showPrices(sec) {
  const title = h("h2", { text: "Prices" });
  try {
    const { body } = await get("/v1/prices");
    const money = moneyIn(body.currency || "USD");
    const list = body.prices || [];
    const filter = h("input", { type: "search", id: "adm-prices-filter", placeholder: "Filter models", "aria-label": "Filter models" });
    const row = (p) => h("tr", { "data-model": p.model },
      h("td", { text: p.model }),
      h("td", { class: "num", text: money(p.input_per_mtok || 0) }),
      h("td", { class: "num", text: p.cached_input_per_mtok ? money(p.cached_input_per_mtok) : "–" }),
      h("td", { class: "num", text: money(p.output_per_mtok || 0) }),
      h("td", { class: "num", text: p.batch_input_per_mtok ? money(p.batch_input_per_mtok) + " / " + money(p.batch_output_per_mtok || 0) : "–" }),
      h("td", {}, badge(p.source || "catalogue", p.source === "config" ? "override" : "local")));
    const tbody = h("tbody", {}, list.map(row));
    filter.addEventListener("input", () => {
      const f = filter.value.trim().toLowerCase();
      fill(tbody, list.filter((p) => !f || p.model.toLowerCase().includes(f)).map(row));
    });
    fill(sec, title,
      h("p", { class: "muted small", text: list.length + " models, per million tokens in " + (body.currency || "USD") +
        ". Read-only: override a model's prices under pricing.prices in the configuration file." }),
      filter,
      h("div", { class: "table-scroll" }, h("table", { class: "readings", id: "adm-prices" },
        h("thead", {}, h("tr", {}, ["model", "input", "cached input", "output", "batch in / out", "source"].map((t) => h("th", { text: t })))),
        tbody)));
  } catch (e) {
    fill(sec, title, errorBox(e));
  }
}

// showAlerting fills sec with the alert rules and notifiers of GET
// /v1/alerts (ADMIN).
export async function showAlerting(sec) {
  const title = h("h2", { text: "Alert rules and webhooks" });
  try {
    const { body } = await get("/v1/alerts");
    const rules = body.rules || [], notifiers = body.notifiers || [];
    const num = (v) => (v === undefined || v === null ? "–" : String(v));
    fill(sec, title,
      h("p", { class: "muted small", text: "Read-only: rules and webhooks are set in the configuration file (observability.alerts). The dashboard shows what each rule reads now." }),
      h("div", { class: "table-scroll" }, h("table", { class: "readings", id: "adm-rules" },
        h("thead", {}, h("tr", {}, ["rule", "signal", "warning", "critical", "bad when", "window", "min events"].map((t) => h("th", { text: t })))),
        h("tbody", {}, rules.map((r) => h("tr", {},
          h("td", { text: r.name }), h("td", { text: r.signal }), h("td", { class: "num", text: num(r.warning) }),
          h("td", { class: "num", text: num(r.critical) }), h("td", { text: r.below ? "below" : "above" }),
          h("td", { class: "num", text: r.window_seconds ? Math.round(r.window_seconds) + " s" : "–" }),
          h("td", { class: "num", text: num(r.min_events || 0) })))))),
      h("h3", { text: "Where alerts go" }),
      notifiers.length ? h("ul", { id: "adm-notifiers" }, notifiers.map((n) => h("li", {},
        h("strong", { text: n.name }), " ", badge(n.format || "", ""), n.host ? h("span", { class: "muted", text: " · " + n.host }) : null)))
        : h("p", { class: "muted", id: "adm-notifiers", text: "No webhooks: alerts show on the dashboard and in GET /v1/alerts only." }));
  } catch (e) {
    fill(sec, title, errorBox(e));
  }
}
