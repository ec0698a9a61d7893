// dashboard.js: the operator's figures (ADMIN) from the API — cache hit
// rate per tier, cost per day, queue and latency from /metrics, alerts,
// provider health (breakers, error rate, latency percentiles, tokens) and
// this month's spend per customer, model and API key, and the cost per
// 1,000 pages by kind and tier next to the plan's figures — refreshed
// every 15 s.

import { h, fill, clear, errorBox, skeleton, badge } from "./dom.js";
import { get } from "./api.js";
import { barChart } from "./charts.js";
import { parseMetrics, sum, quantile, labelValues } from "./metrics.js";

export const REFRESH_MS = 15000;

const pct = (v) => (Math.round(v * 1000) / 10) + "%";
const secs = (v) => (Number.isFinite(v) ? (v < 1 ? Math.round(v * 1000) + " ms" : v.toFixed(2) + " s") : "–");
// moneyIn formats micro-units of currency (an ISO 4217 code) with its
// symbol: two decimals, more for amounts under one unit (€0.0042).
export function moneyIn(currency) {
  return (micros) => {
    const v = micros / 1e6, abs = Math.abs(v);
    const digits = abs === 0 || abs >= 1 ? 2 : Math.min(6, Math.max(2, 2 - Math.floor(Math.log10(abs))));
    try {
      return new Intl.NumberFormat("en", { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: digits }).format(v);
    } catch (_) {
      return v.toFixed(digits) + " " + currency;
    }
  };
}

// The smallest top of the cost axis: one cent of the currency.
const MIN_COST_SCALE = 10000;

// reading describes what an alert rule read, as the rule reads it.
function readingText(r, fmt) {
  const win = r.window_seconds ? " over the last " + Math.round(r.window_seconds / 60) + " min" : "";
  let s = fmt(r.value) + win;
  if (r.events >= 0) s += " (" + r.events + " events" + (r.judged ? "" : "; not judged below " + r.min_events) + ")";
  if (r.at) s += ", read " + new Date(r.at).toLocaleTimeString();
  return s;
}
const day = (d) => d.toISOString().slice(0, 10);

// FORMATS shows each signal in its unit.
const FORMATS = { cache_hit_rate: pct, provider_error_rate: pct, budget_use: pct, mean_response_seconds: secs };

function readingsTable(readings) {
  if (!readings.length) return h("p", { class: "muted", text: "No readings yet (the rules read a sample every 15 s)." });
  return h("table", { class: "readings", id: "dash-readings" },
    h("thead", {}, h("tr", {}, ["Rule", "Subject", "Reads", "Level"].map((t) => h("th", { text: t })))),
    h("tbody", {}, readings.map((r) => h("tr", { "data-rule": r.rule },
      h("td", { text: r.rule }), h("td", { text: r.subject || "" }),
      h("td", { text: readingText(r, FORMATS[r.signal] || ((v) => String(Math.round(v * 100) / 100))) }),
      h("td", {}, r.judged ? badge(r.level || "ok", "label") : h("span", { class: "muted", text: "not judged" }))))));
}

// providersTable shows each provider endpoint as /metrics tells it: up or
// down, its keys by circuit-breaker state, calls and error rate, upstream
// latency percentiles and tokens, per provider and model.
function providersTable(m) {
  const eps = m.filter((x) => x.name === "copydesk_router_endpoint_up");
  if (!eps.length) return h("p", { class: "muted", text: "No provider endpoints configured." });
  const keys = (ep) => ["closed", "half_open", "open", "dead"]
    .map((st) => [st, sum(m, "copydesk_router_keys", { endpoint: ep, state: st })]).filter(([, n]) => n > 0)
    .map(([st, n]) => n + " " + st.replace("_", "-")).join(", ") || "–";
  const rows = eps.map((x) => {
    const { endpoint, provider, model } = x.labels;
    const pm = { provider, model };
    const calls = sum(m, "copydesk_provider_requests_total", pm);
    const ok = sum(m, "copydesk_provider_requests_total", { ...pm, outcome: "ok" });
    const q = (p) => secs(quantile(m, "copydesk_provider_upstream_seconds", p, pm));
    const tokens = sum(m, "copydesk_provider_tokens_total", { ...pm, type: "input" }) + sum(m, "copydesk_provider_tokens_total", { ...pm, type: "output" });
    return h("tr", { "data-endpoint": endpoint },
      h("td", { text: endpoint }), h("td", { text: provider + "/" + model }),
      h("td", {}, badge(x.value > 0 ? "up" : "down", "label")), h("td", { text: keys(endpoint) }),
      h("td", { class: "num", text: String(calls) }), h("td", { class: "num", text: calls ? pct((calls - ok) / calls) : "–" }),
      h("td", { class: "num", text: q(0.5) + " / " + q(0.95) + " / " + q(0.99) }), h("td", { class: "num", text: String(tokens) }));
  });
  return h("table", { class: "readings", id: "dash-providers-table" },
    h("thead", {}, h("tr", {}, ["Endpoint", "Model", "State", "Keys (breaker)", "Calls", "Errors", "Latency p50 / p95 / p99", "Tokens"].map((t) => h("th", { text: t })))),
    h("tbody", {}, rows));
}

// costPerPage shows GET /v1/reports/cost-per-page: per kind the pages,
// the cost per 1,000 pages and the calls per tier (live, batch, cached),
// next to the plan's baseline and target (in the plan's currency; only
// comparable when the ledger's currency is the same).
function costPerPage(r) {
  const money = moneyIn(r.currency || "USD"), plan = moneyIn(r.plan_currency || "EUR");
  const kinds = r.kinds || [];
  const tiers = (k) => (k.tiers || []).map((t) => t.tier + " " + (t.calls || 0)).join(" · ") || "–";
  const total = r.total || {};
  return h("div", {},
    kinds.length ? h("table", { class: "readings", id: "dash-pages-table" },
      h("thead", {}, h("tr", {}, ["kind", "pages", "per 1,000 pages", "calls by tier"].map((t) => h("th", { text: t })))),
      h("tbody", {}, kinds.map((k) => h("tr", {}, h("td", { text: k.kind }), h("td", { class: "num", text: String(k.pages || 0) }),
        h("td", { class: "num", text: money(k.cost_per_1000_pages || 0) }), h("td", { text: tiers(k) })))))
      : h("p", { class: "muted", text: "No pages this month." }),
    h("p", { class: "small", id: "dash-pages-plan", text: "All kinds: " + money(total.cost_per_1000_pages || 0) + " per 1,000 pages · plan: " +
      plan(r.baseline_per_1000_pages || 0) + " baseline, " + plan(r.target_per_1000_pages || 0) + " target" +
      (r.currency && r.plan_currency && r.currency !== r.plan_currency ? " (" + r.plan_currency + "; this ledger counts " + r.currency + ")" : "") }),
    h("p", { class: "muted small", text: "A page is a job with a ledger row; pages answered wholly from a cache without a job are not counted, so these are upper bounds." }));
}

function section(id, title) {
  const body = h("div", { class: "body" }, skeleton(4));
  const el = h("article", { class: "card dash", id }, h("h3", { text: title }), body);
  return { el, body };
}

export function render(main) {
  const updated = h("span", { class: "muted", id: "dash-updated", text: "loading…" });
  const cache = section("dash-cache", "Cache hit rate per tier");
  const cost = section("dash-cost", "Cost per day (last 30 days)");
  const queue = section("dash-queue", "Queue and latency");
  const alerts = section("dash-alerts", "Alerts");
  const providers = section("dash-providers", "Providers");
  const spend = section("dash-spend", "Spend this month");
  const pages = section("dash-pages", "Cost per 1,000 pages (this month)");
  providers.el.classList.add("wide");
  main.append(h("section", { class: "page" },
    h("div", { class: "title-row" }, h("h1", { text: "Dashboard" }), updated),
    h("div", { class: "grid dash-grid" }, cache.el, cost.el, queue.el, alerts.el, spend.el, pages.el, providers.el)));

  async function part(sec, load) {
    try {
      const node = await load();
      fill(sec.body, node);
    } catch (e) {
      fill(sec.body, errorBox(e));
    }
  }

  async function refresh() {
    const alertsReq = get("/v1/alerts");
    alertsReq.catch(() => {}); // each part shows its own error
    const metricsReq = get("/metrics", { text: true });
    metricsReq.catch(() => {});
    await Promise.all([
      part(providers, async () => providersTable(parseMetrics((await metricsReq).body))),
      part(spend, async () => {
        const now = new Date(), first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
        const q = "/v1/usage?from=" + day(first) + "&to=" + day(now);
        const [byCustomer, byModel, byKey] = await Promise.all([get(q + "&group=customer"), get(q + "&group=model"), get(q + "&group=customer,key")]);
        const money = moneyIn(byCustomer.body.currency || "USD");
        const rows = (body, key) => (body.rows || []).slice().sort((a, b) => (b.cost || 0) - (a.cost || 0)).slice(0, 10)
          .map((r) => h("tr", {}, h("td", { text: key === "key_id" ? (r.key_id || "session (" + r.customer_id + ")") : r[key] || "–" }), h("td", { class: "num", text: money(r.cost || 0) }),
            h("td", { class: "num", text: String(r.calls || 0) }), h("td", { class: "num", text: String((r.input_tokens || 0) + (r.output_tokens || 0)) })));
        const table = (title, id, body, key) => [h("h4", { text: title }),
          (body.rows || []).length ? h("table", { class: "readings", id },
            h("thead", {}, h("tr", {}, [key, "cost", "calls", "tokens"].map((t) => h("th", { text: t })))),
            h("tbody", {}, rows(body, key))) : h("p", { class: "muted", text: "No spending this month." })];
        return h("div", {}, ...table("By customer (top 10)", "dash-spend-customers", byCustomer.body, "customer_id"),
          ...table("By model (top 10)", "dash-spend-models", byModel.body, "model"),
          ...table("By API key (top 10)", "dash-spend-keys", byKey.body, "key_id"));
      }),
      part(pages, async () => {
        const now = new Date(), first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
        const { body } = await get("/v1/reports/cost-per-page?from=" + day(first) + "&to=" + day(now));
        return costPerPage(body);
      }),
      part(cache, async () => {
        const { body } = await get("/v1/cache/stats");
        const tiers = body.Tiers || [];
        const total = body.Total || {};
        let rule = null;
        try { rule = ((await alertsReq).body.readings || []).find((r) => r.rule === "cache_hit_rate"); } catch (_) { /* shown in the alerts part */ }
        return h("div", {},
          barChart(tiers.map((t) => ({ label: t.Tier, value: t.HitRate || 0 })), { max: 1, fmt: pct, title: "hit rate per tier", id: "chart-cache" }),
          rule ? h("p", { class: "small", id: "dash-cache-rule", text: "Alert rule cache_hit_rate reads " + readingText(rule, pct) }) : null,
          h("p", { class: "muted small", text: "Since start, all tiers: " + pct(total.HitRate || 0) + " of " + ((total.CallsSaved || 0) + (total.Computed || 0)) + " work items · " + (total.CallsSaved || 0) + " calls saved" }));
      }),
      part(cost, async () => {
        const to = new Date(), from = new Date(to.getTime() - 29 * 86400000);
        const { body } = await get("/v1/usage?from=" + day(from) + "&to=" + day(to) + "&group=day");
        const byDay = {};
        for (const r of body.rows || []) byDay[r.day] = (byDay[r.day] || 0) + (r.cost || 0);
        const data = [];
        for (let t = from.getTime(); t <= to.getTime() + 1; t += 86400000) {
          const d = day(new Date(t));
          data.push({ label: d.slice(5), value: byDay[d] || 0 });
        }
        const tot = body.totals || {};
        const money = moneyIn(body.currency || "USD");
        const top = Math.max(MIN_COST_SCALE, ...data.map((d) => d.value));
        return h("div", {},
          barChart(data, { fmt: money, max: top, title: "cost per day (" + (body.currency || "USD") + ")", id: "chart-cost" }),
          h("p", { class: "muted small", text: "Total " + money(tot.cost || 0) + " · " + (tot.calls || 0) + " calls · " + (tot.cache_hits || 0) + " cache hits · saved " + money(tot.saved || 0) }));
      }),
      part(queue, async () => {
        const { body } = await metricsReq;
        const m = parseMetrics(body);
        const kinds = labelValues(m, "copydesk_request_first_result_seconds_bucket", "kind");
        const figures = [
          ["Open jobs", String(sum(m, "copydesk_queue_jobs"))],
          ["Streams open", String(sum(m, "copydesk_sse_streams_open"))],
          ["Queue wait p50", secs(quantile(m, "copydesk_job_queue_wait_seconds", 0.5))],
          ["Queue wait p95", secs(quantile(m, "copydesk_job_queue_wait_seconds", 0.95))],
        ];
        const maxP = Math.max(0.001, ...kinds.map((k) => quantile(m, "copydesk_request_first_result_seconds", 0.95, { kind: k }) || 0));
        return h("div", {},
          h("dl", { class: "figures", id: "dash-figures" }, figures.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
          h("h4", { text: "Time to first result, p95, by kind" }),
          barChart(kinds.map((k) => ({ label: k, value: quantile(m, "copydesk_request_first_result_seconds", 0.95, { kind: k }) || 0 })),
            { max: maxP, fmt: secs, title: "first result p95 by kind", id: "chart-latency", height: 180 }));
      }),
      part(alerts, async () => {
        const { body } = await alertsReq;
        const active = body.active || [], recent = body.recent || [];
        const item = (a) => h("li", { class: "alert sev-" + (a.severity || "") },
          badge(a.severity || "", "label"), " ", h("strong", { text: a.rule || "" }), a.subject ? h("span", { class: "muted", text: " · " + a.subject }) : null,
          h("div", { text: a.summary || "" }), h("small", { class: "muted", text: (a.state || "") + " · " + (a.at ? new Date(a.at).toLocaleString() : "") }));
        return h("div", {},
          h("h4", { text: "Active (" + active.length + ")" }),
          active.length ? h("ul", { class: "alerts" }, active.map(item)) : h("p", { class: "ok", text: "Nothing firing." }),
          h("h4", { text: "Recent (" + recent.length + ")" }),
          recent.length ? h("ul", { class: "alerts" }, recent.slice(0, 10).map(item)) : h("p", { class: "muted", text: "No recent alerts." }),
          h("h4", { text: "What the rules read" }),
          readingsTable(body.readings || []));
      }),
    ]);
    updated.textContent = "updated " + new Date().toLocaleTimeString() + " · every 15 s";
    updated.dataset.loaded = String((Number(updated.dataset.loaded) || 0) + 1);
  }

  refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return () => clearInterval(timer);
}
