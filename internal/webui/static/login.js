// login.js: email and password → POST /v1/auth/login (a session cookie
// and a CSRF cookie), then the app.

import { h, clear, errorBox, field } from "./dom.js";
import { post } from "./api.js";

export function render(main, { setSession, go }) {
  const email = h("input", { type: "email", name: "email", id: "login-email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", id: "login-password", autocomplete: "current-password", required: true });
  const status = h("div", { class: "status" });
  const button = h("button", { type: "submit", id: "login-submit", text: "Log in" });
  const form = h("form", { class: "card login", id: "login-form", on: { submit: async (ev) => {
    ev.preventDefault();
    clear(status);
    button.disabled = true;
    try {
      const { body } = await post("/v1/auth/login", { email: email.value, password: password.value });
      setSession({ userId: body.user_id, customerId: body.customer_id, role: body.role, email: email.value.trim().toLowerCase() });
      go("analyze");
    } catch (e) {
      status.append(errorBox(e));
    } finally {
      button.disabled = false;
    }
  } } },
    h("h1", { text: "Log in to Copydesk" }),
    field("Email", email),
    field("Password", password),
    button, status,
    h("p", { class: "muted small", text: "The first ADMIN gets a password with: copydesk admin set-password --email admin@copydesk.local --password-stdin" }));
  main.append(h("section", { class: "page narrow" }, form));
  email.focus();
}
