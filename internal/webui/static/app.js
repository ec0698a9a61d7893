// app.js is the UI's entry: the session, the navigation and the router.
// Pages live in their own modules; each exports render(main, ctx) and may
// return a cleanup function, run when the page changes.

import { h, clear, errorBox } from "./dom.js";
import { get, post, closeStream, setUnauthorizedHandler } from "./api.js";
import * as login from "./login.js";
import * as analyze from "./analyze.js";
import * as generate from "./generate.js";
import * as translate from "./translate.js";
import * as dashboard from "./dashboard.js";
import * as admin from "./admin.js";
import * as queue from "./queue.js";

const SESSION_KEY = "copydesk.session";
const pages = { login, analyze, generate, translate, dashboard, admin, queue };
// ROLES lists who may open a page (every logged-in user when absent).
const ROLES = { dashboard: ["ADMIN"], admin: ["ADMIN", "CLIENT"], queue: ["ADMIN", "CLIENT"] };

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let session = null;
let cleanup = null;
let verified = false;

function loadSession() {
  try { return JSON.parse(localStorage.getItem(SESSION_KEY) || "null"); } catch (_) { return null; }
}

// setSession stores who is logged in (ids and role only: the session
// token itself is an HttpOnly cookie scripts cannot read).
function setSession(s) {
  session = s;
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
  showWho();
}

function showWho() {
  const on = !!session;
  nav.hidden = !on;
  who.hidden = !on;
  document.getElementById("who-name").textContent = on ? (session.email || session.userId) + " · " + session.role : "";
  for (const a of nav.querySelectorAll("[data-role]")) a.hidden = !on || !a.dataset.role.split(" ").includes(session.role);
}

function go(page) {
  if (location.hash !== "#/" + page) location.hash = "#/" + page;
  else route();
}

async function route() {
  if (cleanup) { try { cleanup(); } catch (_) { /* ignore */ } cleanup = null; }
  closeStream();
  let name = (location.hash.replace(/^#\/?/, "") || "analyze").split("?")[0];
  if (!session && name !== "login") { go("login"); return; }
  if (session && name === "login") name = "analyze";
  if (!pages[name]) name = "analyze";
  if (ROLES[name] && !ROLES[name].includes(session.role)) name = "analyze";
  for (const a of nav.querySelectorAll("a")) a.classList.toggle("active", a.dataset.page === name);
  document.title = "Copydesk · " + name[0].toUpperCase() + name.slice(1);
  clear(main);
  const ctx = { session, setSession, go };
  try {
    cleanup = pages[name].render(main, ctx) || null;
  } catch (e) {
    main.append(errorBox(e));
  }
  if (session && !verified) verify();
}

// verify checks once that the stored session is still valid (the cookie
// may have expired); a 401 sends the user to the login page.
async function verify() {
  verified = true;
  try {
    const { body } = await get("/v1/users/" + encodeURIComponent(session.userId));
    setSession({ ...session, email: body.email || session.email, role: body.role || session.role });
  } catch (e) {
    if (e.status !== 401) console.warn("session check:", e.message);
  }
}

setUnauthorizedHandler(() => {
  if (!session) return;
  setSession(null);
  verified = false;
  go("login");
});

document.getElementById("logout").addEventListener("click", async () => {
  try { await post("/v1/auth/logout"); } catch (e) { if (e.status !== 401) { main.prepend(errorBox(e)); return; } }
  setSession(null);
  verified = false;
  go("login");
});

window.addEventListener("hashchange", route);
session = loadSession();
showWho();
route();
