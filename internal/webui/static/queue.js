// queue.js: the queue view. For an ADMIN, open jobs by state and priority
// (from /metrics, copydesk_queue_jobs); for everyone allowed, the latest
// jobs (GET /v1/jobs, filtered by status) with their priority, attempts and
// times, and Cancel for open ones (DELETE /v1/jobs/{id}). Refreshed every
// 10 s.

import { h, fill, errorBox, skeleton, badge, select } from "./dom.js";
import { get, request } from "./api.js";
import { parseMetrics, sum, labelValues } from "./metrics.js";

export const REFRESH_MS = 10000;
const STATUSES = ["", "queued", "running", "succeeded", "partial", "failed", "cancelled"];
const PRIORITIES = ["CRITICAL", "HIGH", "NORMAL", "LOW"];
const when = (t) => (t ? new Date(t).toLocaleString() : "");

export function render(main, { session }) {
  const admin = session.role === "ADMIN";
  const filter = select("queue-status", STATUSES.map((s) => [s, s || "any status"]), "");
  filter.setAttribute("aria-label", "Filter by status");
  const depth = h("section", { class: "card", id: "queue-depth" }, h("h2", { text: "Open jobs by state and priority" }), skeleton(2));
  const list = h("section", { class: "card", id: "queue-list" }, h("div", { class: "title-row" }, h("h2", { text: "Latest jobs" }), filter), skeleton(4));
  const updated = h("span", { class: "muted", id: "queue-updated" });
  main.append(h("section", { class: "page" }, h("div", { class: "title-row" }, h("h1", { text: "Queue" }), updated),
    admin ? depth : null, list));

  async function loadDepth() {
    try {
      const { body } = await get("/metrics", { text: true });
      const m = parseMetrics(body);
      const states = labelValues(m, "copydesk_queue_jobs", "state");
      const prios = PRIORITIES.filter((p) => labelValues(m, "copydesk_queue_jobs", "priority").includes(p));
      if (!states.length) { fill(depth, h("h2", { text: "Open jobs by state and priority" }), h("p", { class: "ok", text: "The queue is empty." })); return; }
      fill(depth, h("h2", { text: "Open jobs by state and priority" }), h("table", { class: "admin-table", id: "queue-matrix" },
        h("thead", {}, h("tr", {}, h("th", { text: "State" }), prios.map((p) => h("th", { text: p })), h("th", { text: "All" }))),
        h("tbody", {}, states.map((st) => h("tr", { "data-state": st }, h("td", { text: st }),
          prios.map((p) => h("td", { text: String(sum(m, "copydesk_queue_jobs", { state: st, priority: p })) })),
          h("td", { text: String(sum(m, "copydesk_queue_jobs", { state: st })) }))))));
    } catch (e) {
      fill(depth, h("h2", { text: "Open jobs by state and priority" }), errorBox(e));
    }
  }

  async function loadJobs() {
    const head = list.firstChild;
    try {
      const { body } = await get("/v1/jobs?limit=50" + (filter.value ? "&status=" + encodeURIComponent(filter.value) : ""));
      const jobs = body.jobs || [];
      const rows = jobs.map((j) => {
        const msg = h("span", { class: "small" });
        const open = j.status === "queued" || j.status === "running";
        return h("tr", { "data-job": j.id, "data-status": j.status },
          h("td", {}, h("code", { text: j.id }), h("div", { class: "muted small", text: j.kind })),
          h("td", {}, badge(j.status, "status-" + j.status)), h("td", { text: j.priority || "" }),
          h("td", { text: String(j.attempts ?? 0) }), h("td", { class: "small", text: when(j.created_at) }),
          h("td", { class: "small", text: j.finished_at ? when(j.finished_at) : when(j.updated_at) }),
          h("td", { class: "small" }, j.error ? (j.error.code + ": " + j.error.message) : ""),
          h("td", {}, open ? h("button", { type: "button", class: "ghost small-btn queue-cancel", text: "Cancel", on: { click: async () => {
            try { await request("DELETE", "/v1/jobs/" + encodeURIComponent(j.id)); loadJobs(); } catch (e) { fill(msg, errorBox(e)); }
          } } }) : null, msg));
      });
      fill(list, head, jobs.length ? h("table", { class: "admin-table", id: "queue-jobs" },
        h("thead", {}, h("tr", {}, ["Job", "Status", "Priority", "Attempts", "Created", "Updated", "Error", ""].map((t) => h("th", { text: t })))),
        h("tbody", {}, rows)) : h("p", { class: "muted", text: "No jobs." }),
        h("p", { class: "muted small", text: jobs.length + " of " + (body.total ?? jobs.length) + " jobs shown." }));
    } catch (e) {
      fill(list, head, errorBox(e));
    }
  }

  async function refresh() {
    await Promise.all([admin ? loadDepth() : null, loadJobs()]);
    updated.textContent = "updated " + new Date().toLocaleTimeString() + " · every 10 s";
    updated.dataset.loaded = String((Number(updated.dataset.loaded) || 0) + 1);
  }
  filter.addEventListener("change", loadJobs);
  refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return () => clearInterval(timer);
}
