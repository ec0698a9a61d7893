// dom.js builds elements without ever parsing strings as markup: text is
// set with text nodes, attributes with setAttribute. Untrusted strings
// (content, findings, model output, names) go through here only.

const SVG_NS = "http://www.w3.org/2000/svg";

// h creates an element. attrs: class, text, dataset-like "data-*", event
// handlers as functions under "on" (an object {click: fn}), properties
// value/checked/disabled/hidden; every other key is an attribute. Children
// are nodes, strings (text) or arrays of them; null and false are skipped.
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// s creates an SVG element the same way.
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

const PROPS = new Set(["value", "checked", "disabled", "hidden", "selected", "readOnly", "srcdoc"]);

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "on") {
      for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    } else if (k === "text") {
      el.textContent = String(v);
    } else if (PROPS.has(k)) {
      el[k] = v;
    } else if (/^on/i.test(k)) {
      throw new Error("event handler attributes are not allowed: " + k);
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

// append adds children (nodes, strings as text, arrays) to el.
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// fill replaces the children of el (nodes, strings as text, arrays; null
// and false skipped — unlike replaceChildren, which would write "null").
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// clear removes every child of el.
export function clear(el) {
  el.replaceChildren();
  return el;
}

// errorBox shows an API error (message and code) or any Error.
export function errorBox(err) {
  const code = err && err.code ? err.code : "";
  return h("div", { class: "error", role: "alert" },
    h("strong", { text: code ? "Error " : "Error" }),
    code ? h("code", { text: code }) : null,
    h("span", { text: ": " + (err && err.message ? err.message : String(err)) }),
    err && err.requestId ? h("small", { class: "muted", text: " (request " + err.requestId + ")" }) : null);
}

// skeleton returns n grey placeholder lines.
export function skeleton(n = 3) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(h("div", { class: "skeleton line" + (i === n - 1 ? " short" : "") }));
  return out;
}

// badge is a small label, e.g. a finding's source.
export function badge(text, kind = "") {
  return h("span", { class: "badge " + kind, text });
}

// checkboxes renders a fieldset of checkboxes; returns {el, values()}.
export function checkboxes(legend, name, options, checked = []) {
  const boxes = options.map((o) => {
    const value = typeof o === "string" ? o : o.value;
    const label = typeof o === "string" ? o : o.label;
    const box = h("input", { type: "checkbox", name, value, checked: checked.includes(value) });
    return { box, el: h("label", { class: "check" }, box, " " + label) };
  });
  const el = h("fieldset", { class: "checks" }, h("legend", { text: legend }), boxes.map((b) => b.el));
  return { el, values: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value) };
}

// select renders a <select>; options are [value, label] pairs or strings.
export function select(name, options, value) {
  return h("select", { name, id: name },
    options.map((o) => {
      const [v, label] = Array.isArray(o) ? o : [o, o];
      return h("option", { value: v, selected: v === value, text: label });
    }));
}

// field wraps a control in a label.
export function field(label, control, hint) {
  return h("label", { class: "field" }, h("span", { class: "label", text: label }), control,
    hint ? h("small", { class: "muted", text: hint }) : null);
}
