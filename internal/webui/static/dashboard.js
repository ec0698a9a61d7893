// dashboard.js: the operator's figures (ADMIN) from the API — cache hit
// rate per tier, cost per day, queue and latency from /metrics, alerts —
// refreshed every 15 s.

import { h, fill, clear, errorBox, skeleton, badge } from "./dom.js";
import { get } from "./api.js";
import { barChart } from "./charts.js";
import { parseMetrics, sum, quantile, labelValues } from "./metrics.js";

export const REFRESH_MS = 15000;

const pct = (v) => (Math.round(v * 1000) / 10) + "%";
const secs = (v) => (Number.isFinite(v) ? (v < 1 ? Math.round(v * 1000) + " ms" : v.toFixed(2) + " s") : "–");
// money shows micro-units of the configured currency.
const money = (micros) => {
  const v = micros / 1e6;
  return v === 0 ? "0" : Math.abs(v) >= 1 ? v.toFixed(2) : String(Number(v.toPrecision(2)));
};
const day = (d) => d.toISOString().slice(0, 10);

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
  main.append(h("section", { class: "page" },
    h("div", { class: "title-row" }, h("h1", { text: "Dashboard" }), updated),
    h("div", { class: "grid dash-grid" }, cache.el, cost.el, queue.el, alerts.el)));

  async function part(sec, load) {
    try {
      const node = await load();
      fill(sec.body, node);
    } catch (e) {
      fill(sec.body, errorBox(e));
    }
  }

  async function refresh() {
    await Promise.all([
      part(cache, async () => {
        const { body } = await get("/v1/cache/stats");
        const tiers = body.Tiers || [];
        const total = body.Total || {};
        return h("div", {},
          barChart(tiers.map((t) => ({ label: t.Tier, value: t.HitRate || 0 })), { max: 1, fmt: pct, title: "hit rate per tier", id: "chart-cache" }),
          h("p", { class: "muted small", text: "All tiers: " + pct(total.HitRate || 0) + " of " + (total.Requests || 0) + " requests · " + (total.CallsSaved || 0) + " calls saved" }));
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
        return h("div", {},
          barChart(data, { fmt: money, title: "cost per day", id: "chart-cost" }),
          h("p", { class: "muted small", text: "Total " + money(tot.cost || 0) + " · " + (tot.calls || 0) + " calls · " + (tot.cache_hits || 0) + " cache hits · saved " + money(tot.saved || 0) }));
      }),
      part(queue, async () => {
        const { body } = await get("/metrics", { text: true });
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
        const { body } = await get("/v1/alerts");
        const active = body.active || [], recent = body.recent || [];
        const item = (a) => h("li", { class: "alert sev-" + (a.severity || "") },
          badge(a.severity || "", "label"), " ", h("strong", { text: a.rule || "" }), a.subject ? h("span", { class: "muted", text: " · " + a.subject }) : null,
          h("div", { text: a.summary || "" }), h("small", { class: "muted", text: (a.state || "") + " · " + (a.at ? new Date(a.at).toLocaleString() : "") }));
        return h("div", {},
          h("h4", { text: "Active (" + active.length + ")" }),
          active.length ? h("ul", { class: "alerts" }, active.map(item)) : h("p", { class: "ok", text: "Nothing firing." }),
          h("h4", { text: "Recent (" + recent.length + ")" }),
          recent.length ? h("ul", { class: "alerts" }, recent.slice(0, 10).map(item)) : h("p", { class: "muted", text: "No recent alerts." }));
      }),
    ]);
    updated.textContent = "updated " + new Date().toLocaleTimeString() + " · every 15 s";
    updated.dataset.loaded = String((Number(updated.dataset.loaded) || 0) + 1);
  }

  refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return () => clearInterval(timer);
}
