// admin.js: the operator's pages over the management API, for ADMIN (any
// customer) and CLIENT (its own customer): customers, users (create with a
// role and a password, change the role, disable and enable, set a new
// password), API keys
// (create with scopes, models, expiry and a budget of its own — the secret
// is shown once, with a copy button — and revoke), the customer's monthly
// budget and per-user budgets, cache purge, and (adminextra.js) usage with
// CSV, the glossary and the translation memory.
// Names and e-mails are shown as text only.

import { h, fill, clear, errorBox, skeleton, badge, select, field, checkboxes } from "./dom.js";
import { get, post, put, request } from "./api.js";
import { copyButton } from "./export.js";
import { moneyIn } from "./dashboard.js";
import { showUsage, showGlossary, showTM } from "./adminextra.js";
import { showPrices, showAlerting } from "./adminserver.js";

const SCOPES = ["analyses:write", "chat:write", "jobs:read", "jobs:write", "usage:read", "manage", "metrics:read"];
const q = encodeURIComponent;
const when = (t) => (t ? new Date(t).toLocaleString() : "");

export function render(main, { session }) {
  const admin = session.role === "ADMIN";
  const status = h("div", { class: "status", id: "admin-status" });
  const customers = h("section", { class: "card", id: "adm-customers" }, h("h2", { text: "Customers" }), skeleton(2));
  const body = h("div", { class: "admin-body", id: "adm-body" });
  const prices = h("section", { class: "card", id: "adm-prices-card" }, h("h2", { text: "Prices" }));
  const alerting = admin ? h("section", { class: "card", id: "adm-alerting" }, h("h2", { text: "Alert rules and webhooks" })) : null;
  main.append(h("section", { class: "page" }, h("div", { class: "title-row" }, h("h1", { text: "Admin" })), status,
    h("div", { class: "admin-grid" }, customers, body),
    h("div", { class: "admin-server", id: "adm-server" }, h("h2", { text: "This server" }), alerting, prices)));
  showPrices(prices);
  if (alerting) showAlerting(alerting);

  let current = admin ? "" : session.customerId;
  let currency = "USD";
  get("/v1/usage?from=" + new Date().toISOString().slice(0, 10) + "&to=" + new Date(Date.now() + 86400000).toISOString().slice(0, 10))
    .then(({ body: b }) => { currency = b.currency || currency; }).catch(() => {});

  async function loadCustomers() {
    try {
      let list;
      if (admin) list = (await get("/v1/customers")).body.customers || [];
      else list = [(await get("/v1/customers/" + q(session.customerId))).body];
      if (!current && list.length) current = list[0].id;
      const rows = list.map((c) => h("li", {},
        h("button", { type: "button", class: "linkish" + (c.id === current ? " active" : ""), "data-customer": c.id,
          on: { click: () => { current = c.id; loadCustomers(); loadCustomer(); } } },
        h("span", { class: "cust-name", text: c.name || c.id }), h("small", { class: "muted", text: " " + c.id }))));
      const form = admin ? createForm("adm-new-customer", [["Name", h("input", { type: "text", id: "adm-customer-name", required: true })]], "Create customer", async (f) => {
        const { body: c } = await post("/v1/customers", { name: f["adm-customer-name"].value.trim() });
        current = c.id;
        await loadCustomers();
        loadCustomer();
        return "Created " + c.name + ".";
      }) : null;
      fill(customers, h("h2", { text: "Customers" }), h("ul", { class: "cust-list" }, rows), form);
    } catch (e) {
      fill(customers, h("h2", { text: "Customers" }), errorBox(e));
    }
  }

  async function loadCustomer() {
    if (!current) { fill(body, h("p", { class: "muted", text: "No customer yet: create one." })); return; }
    const users = h("section", { class: "card", id: "adm-users" }, h("h2", { text: "Users" }), skeleton(2));
    const keys = h("section", { class: "card", id: "adm-keys" }, h("h2", { text: "API keys" }), skeleton(2));
    const budget = h("section", { class: "card", id: "adm-budget" }, h("h2", { text: "Budget" }), skeleton(2));
    const cache = h("section", { class: "card", id: "adm-cache" }, h("h2", { text: "Cache" }));
    const usage = h("section", { class: "card", id: "adm-usage" }, h("h2", { text: "Usage this month" }), skeleton(2));
    const glossary = h("section", { class: "card", id: "adm-gl" }, h("h2", { text: "Glossary" }), skeleton(2));
    const tm = h("section", { class: "card", id: "adm-tm" }, h("h2", { text: "Translation memory" }));
    fill(body, users, keys, budget, usage, glossary, tm, cache);
    let userList = [];
    try {
      userList = (await get("/v1/users?customer_id=" + q(current))).body.users || [];
    } catch (e) { fill(users, h("h2", { text: "Users" }), errorBox(e)); }
    showUsers(users, userList);
    showKeys(keys, userList);
    showBudget(budget, userList);
    showCache(cache);
    showUsage(usage, current, currency, userList);
    showGlossary(glossary, current);
    showTM(tm, current);
  }

  function showUsers(sec, list) {
    const roles = admin ? ["USER", "CLIENT", "ADMIN"] : ["USER", "CLIENT"];
    const rows = list.map((u) => {
      const pw = h("input", { type: "password", class: "adm-pw", placeholder: "new password", autocomplete: "new-password", "aria-label": "new password for " + u.email });
      const msg = h("span", { class: "small" });
      return h("tr", { "data-user": u.id },
        h("td", {}, h("div", { text: u.email }), h("small", { class: "muted", text: u.name || "" })),
        h("td", {}, u.id === session.userId || (!admin && u.role === "ADMIN") ? badge(u.role, "")
          : h("select", { class: "adm-role", "aria-label": "Role of " + u.email, on: { change: async (ev) => {
            try { await request("PATCH", "/v1/users/" + q(u.id), { role: ev.target.value }); loadCustomer(); } catch (e) { ev.target.value = u.role; fill(msg, errorBox(e)); }
          } } }, roles.map((r) => h("option", { value: r, selected: r === u.role, text: r })))),
        h("td", { text: u.disabled ? "disabled" : "active", class: u.disabled ? "warn" : "ok" }),
        h("td", { class: "row-actions" },
          h("button", { type: "button", class: "ghost small-btn adm-toggle", text: u.disabled ? "Enable" : "Disable", on: { click: async () => {
            try { await request("PATCH", "/v1/users/" + q(u.id), { disabled: !u.disabled }); loadCustomer(); } catch (e) { fill(msg, errorBox(e)); }
          } } }),
          pw, h("button", { type: "button", class: "ghost small-btn", text: "Set password", on: { click: async () => {
            try { await request("PATCH", "/v1/users/" + q(u.id), { password: pw.value }); pw.value = ""; fill(msg, h("span", { class: "ok", text: "Password set." })); } catch (e) { fill(msg, errorBox(e)); }
          } } }), msg));
    });
    const form = createForm("adm-new-user", [
      ["Email", h("input", { type: "email", id: "adm-user-email", required: true })],
      ["Name", h("input", { type: "text", id: "adm-user-name" })],
      ["Role", select("adm-user-role", roles, "USER")],
      ["Password", h("input", { type: "password", id: "adm-user-password", autocomplete: "new-password" }), "Optional; at least 12 characters."],
    ], "Create user", async (f) => {
      const b = { customer_id: current, email: f["adm-user-email"].value.trim(), name: f["adm-user-name"].value.trim(), role: f["adm-user-role"].value };
      if (f["adm-user-password"].value) b.password = f["adm-user-password"].value;
      const { body: u } = await post("/v1/users", b);
      loadCustomer();
      return "Created " + u.email + ".";
    });
    fill(sec, h("h2", { text: "Users" }),
      list.length ? h("table", { class: "admin-table", id: "adm-users-table" },
        h("thead", {}, h("tr", {}, ["User", "Role", "State", ""].map((t) => h("th", { text: t })))), h("tbody", {}, rows))
        : h("p", { class: "muted", text: "No users yet." }), form);
  }

  async function showKeys(sec, users) {
    let list = [];
    try { list = (await get("/v1/keys?customer_id=" + q(current))).body.keys || []; } catch (e) { fill(sec, h("h2", { text: "API keys" }), errorBox(e)); return; }
    const email = Object.fromEntries(users.map((u) => [u.id, u.email]));
    const rows = list.map((k) => {
      const msg = h("span", { class: "small" });
      return h("tr", { "data-key": k.id, class: k.revoked_at ? "revoked" : "" },
        h("td", {}, h("div", { text: k.name || "" }), h("code", { text: k.prefix + "…" })),
        h("td", { text: email[k.user_id] || k.user_id }),
        h("td", { text: (k.scopes || []).join(", ") || "all" }),
        h("td", { text: (k.models || []).join(", ") || "all" }),
        h("td", { text: k.revoked_at ? "revoked " + when(k.revoked_at) : k.expires_at ? "expires " + when(k.expires_at) : "no expiry" }),
        h("td", {}, k.revoked_at ? null : h("button", { type: "button", class: "ghost small-btn adm-revoke", text: "Revoke", on: { click: async () => {
          try { await request("DELETE", "/v1/keys/" + q(k.id)); loadCustomer(); } catch (e) { fill(msg, errorBox(e)); }
        } } }), msg));
    });
    const shown = h("div", { id: "adm-key-shown" });
    const scopes = checkboxes("Scopes (none: all of the user's rights)", "adm-key-scopes", SCOPES, []);
    const form = createForm("adm-new-key", [
      ["User", select("adm-key-user", users.filter((u) => !u.disabled).map((u) => [u.id, u.email]), users[0] && users[0].id)],
      ["Name", h("input", { type: "text", id: "adm-key-name", required: true })],
      ["Models", h("input", { type: "text", id: "adm-key-models", placeholder: "gpt-4o-mini, claude-3-5-haiku" }), "Comma-separated; empty: every model."],
      ["Expires", h("input", { type: "date", id: "adm-key-expires" }), "Empty: never."],
      ["Monthly budget (" + currency + ")", h("input", { type: "number", id: "adm-key-budget", min: "0", step: "0.01" }), "Empty: only the customer's and user's budgets apply."],
    ], "Create key", async (f) => {
      const b = { user_id: f["adm-key-user"].value, name: f["adm-key-name"].value.trim() };
      const models = f["adm-key-models"].value.split(",").map((s) => s.trim()).filter(Boolean);
      if (models.length) b.models = models;
      if (scopes.values().length) b.scopes = scopes.values();
      if (f["adm-key-budget"].value !== "") b.budget = { limit: Math.round(Number(f["adm-key-budget"].value) * 1e6) };
      if (f["adm-key-expires"].value) b.expires_at = new Date(f["adm-key-expires"].value + "T23:59:59Z").toISOString();
      const { body: res } = await post("/v1/keys", b);
      await showKeys(sec, users);
      // The secret exists only in this answer: shown once, never stored.
      const secret = res.key;
      fill(sec.querySelector("#adm-key-shown"), h("div", { class: "secret", role: "alert" },
        h("strong", { text: "Copy the key now: it is shown only once." }),
        h("code", { id: "adm-key-secret", text: secret }),
        copyButton("Copy key", () => secret, { id: "adm-key-copy" }),
        h("button", { type: "button", class: "ghost small-btn", text: "Done", on: { click: (ev) => ev.target.closest(".secret").remove() } })));
      return "Created " + (res.api_key && res.api_key.name) + ".";
    }, scopes.el);
    fill(sec, h("h2", { text: "API keys" }), shown,
      list.length ? h("table", { class: "admin-table", id: "adm-keys-table" },
        h("thead", {}, h("tr", {}, ["Key", "User", "Scopes", "Models", "Validity", ""].map((t) => h("th", { text: t })))), h("tbody", {}, rows))
        : h("p", { class: "muted", text: "No keys yet." }), form);
  }

  async function showBudget(sec, users) {
    const money = moneyIn(currency);
    const view = async (uid) => {
      try {
        const { body: b } = await get("/v1/budgets?customer_id=" + q(current) + (uid ? "&user_id=" + q(uid) : ""));
        return h("dl", { class: "figures budget-figures", "data-user": uid || "" },
          [["Limit", money(b.limit)], ["Spent", money(b.spent)], ["Reserved", money(b.reserved)], ["Left", Math.round((b.left || 0) * 1000) / 10 + " %"],
            ["Alert at", (b.alert_percent || 0) + " %"], ["Warning at", (b.warning_percent || 0) + " %"]]
            .map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
      } catch (e) {
        if (e.status === 404) return h("p", { class: "muted", text: uid ? "No budget for this user." : "No budget: the customer is not limited." });
        return errorBox(e);
      }
    };
    const cur = await view("");
    const limitIn = (id) => h("input", { type: "number", id, min: "0", step: "0.01", required: true });
    const forms = [];
    if (admin) {
      forms.push(createForm("adm-budget-form", [
        ["Monthly limit (" + currency + ")", limitIn("adm-budget-limit")],
        ["Alert at %", h("input", { type: "number", id: "adm-budget-alert", min: "1", max: "100", value: "80" })],
        ["Warning at %", h("input", { type: "number", id: "adm-budget-warning", min: "1", max: "100", value: "90" })],
      ], "Set budget", async (f) => {
        const b = { limit: Math.round(Number(f["adm-budget-limit"].value) * 1e6), alert_percent: Number(f["adm-budget-alert"].value), warning_percent: Number(f["adm-budget-warning"].value) };
        await put("/v1/budgets/" + q(current), b);
        showBudget(sec, users);
        return "Budget set.";
      }));
    }
    forms.push(createForm("adm-user-budget-form", [
      ["User", select("adm-ubudget-user", users.map((u) => [u.id, u.email]), users[0] && users[0].id)],
      ["Monthly limit (" + currency + ")", limitIn("adm-ubudget-limit")],
    ], "Set user budget", async (f) => {
      await put("/v1/budgets/" + q(current) + "/users/" + q(f["adm-ubudget-user"].value), { limit: Math.round(Number(f["adm-ubudget-limit"].value) * 1e6) });
      return "User budget set.";
    }));
    fill(sec, h("h2", { text: "Budget" }), cur, ...forms);
  }

  function showCache(sec) {
    const out = h("div", { id: "adm-purge-result" });
    const purge = async (b, what) => {
      clear(out);
      try {
        const { body: r } = await post("/v1/cache/purge", b);
        fill(out, h("p", { class: "ok", text: "Purged " + r.purged + " entries (" + what + ")." }));
      } catch (e) { fill(out, errorBox(e)); }
    };
    fill(sec, h("h2", { text: "Cache" }),
      h("p", { class: "muted small", text: "Purging makes the next identical request compute (and pay) again." }),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "ghost", id: "adm-purge-customer", text: "Purge this customer's entries", on: { click: () => purge({ customer_id: current }, "this customer") } }),
        admin ? h("button", { type: "button", class: "ghost danger", id: "adm-purge-all", text: "Purge everything", on: { click: () => { if (confirm("Purge every cached entry of every customer?")) purge({ all: true }, "all"); } } }) : null),
      out);
  }

  loadCustomers().then(loadCustomer);
}

// createForm builds a small form; submit runs fn with the form's controls
// by id and shows its message or error.
function createForm(id, fields, label, fn, ...extra) {
  const msg = h("div", { class: "status" });
  const button = h("button", { type: "submit", text: label, id: id + "-submit" });
  const controls = {};
  const els = fields.map(([name, control, hint]) => {
    controls[control.id] = control;
    return field(name, control, hint);
  });
  const form = h("form", { class: "form inline-form", id, on: { submit: async (ev) => {
    ev.preventDefault();
    clear(msg);
    button.disabled = true;
    try {
      const text = await fn(controls);
      msg.append(h("p", { class: "ok", text }));
    } catch (e) {
      msg.append(errorBox(e));
    } finally {
      button.disabled = false;
    }
  } } }, h("div", { class: "row" }, els), extra, button, msg);
  return form;
}
