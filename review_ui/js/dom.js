// Small DOM helpers: element builder, toast, modal dialogs, Vietnamese labels.

import { keyHandler } from "./shortcuts.js";

/** h("div.cls#id", {attrs}, ...children) — children may be strings, nodes, arrays or null. */
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(tag);
  const el = document.createElement((m && m[1]) || "div");
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === ".") el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let toastTimer = null;
export function toast(message, kind = "info") {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.className = `show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.className = ""), kind === "error" ? 6000 : 2500);
}

const dialogKeys = keyHandler("dialog", {
  close: (ev, { sticky, close }) => {
    if (sticky) return false;
    ev.stopPropagation();
    close();
  },
});

/** A modal dialog; returns {el, close}. Esc closes it unless `sticky`. Focus stays inside. */
export function modal(content, { title, onClose, sticky = false, wide = false } = {}) {
  const root = document.getElementById("overlay-root");
  const previous = document.activeElement;
  const box = h(`div.modal${wide ? ".wide" : ""}`, { role: "dialog", "aria-modal": "true", "aria-label": title || "" },
    title ? h("h2", title) : null, content);
  const back = h("div.backdrop", box);
  const close = () => {
    back.remove();
    document.removeEventListener("keydown", onKey, true);
    if (onClose) onClose();
    if (previous && previous.isConnected) previous.focus();
  };
  const onKey = (ev) => {
    // Tab stays inside the dialog; that is how dialogs work, not a shortcut of the keymap.
    if (!dialogKeys(ev, { sticky, close }) && ev.key === "Tab") trapFocus(box, ev);
  };
  document.addEventListener("keydown", onKey, true);
  root.append(back);
  const first = box.querySelector("[autofocus], input, textarea, select, button");
  if (first) first.focus();
  return { el: box, close };
}

function trapFocus(box, ev) {
  const items = [...box.querySelectorAll("input, textarea, select, button, [tabindex='0']")].filter(
    (e) => !e.disabled && e.offsetParent !== null,
  );
  if (!items.length) return;
  const i = items.indexOf(document.activeElement);
  const next = ev.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : i === items.length - 1 ? 0 : i + 1;
  ev.preventDefault();
  items[next].focus();
}

export function isModalOpen() {
  return document.getElementById("overlay-root").children.length > 0;
}

export const STATUS_VI = { draft: "Bản nháp", confirmed: "Đã xác nhận", flagged: "Đã đánh dấu" };
export const BAND_VI = { sure: "Chắc chắn", check: "Cần xem", unsure: "Chưa chắc" };
export const REASONS = [
  { key: "1", value: "illegible", label: "Không đọc được" },
  { key: "2", value: "damaged", label: "Trang hư hỏng" },
];
export const ACTION_VI = {
  "record.update": "Sửa",
  "record.confirm": "Xác nhận",
  "record.flag": "Đánh dấu",
  "record.review": "Kiểm tra lại",
  "record.review_override": "Duyệt vượt quy tắc hai người (quản trị)",
  "record.assign": "Nhận duyệt",
};

export function reasonLabel(reason) {
  const r = REASONS.find((x) => x.value === reason);
  return r ? r.label : reason || "";
}

export function fmtDateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function errorText(err) {
  if (!err) return "Lỗi không xác định";
  if (err.status === 0 || err instanceof TypeError) return "Không kết nối được máy chủ";
  return err.message || `Lỗi ${err.status}`;
}
