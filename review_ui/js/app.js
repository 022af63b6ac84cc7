// Entry point: session check, hash routing between screens, global shortcuts and their help.

import { api, setCsrf, setUnauthorizedHandler } from "./api.js";
import { h, isModalOpen, modal } from "./dom.js";
import { renderLogin } from "./login.js";
import { renderQueue } from "./queue.js";
import { renderReview } from "./review.js";
import { renderReviewer } from "./reviewer.js";
import { renderDashboard } from "./dashboard.js";
import { renderAdmin } from "./admin.js";
import { renderSearch, startSearch } from "./search.js";
import { renderBookInfo } from "./book_info.js";
import { renderUpload } from "./upload.js";
import { renderBook } from "./book.js";
import { SHORTCUTS, keyHandler } from "./shortcuts.js";

export const state = { user: null, cleanup: null };
export const RETURN_KEY = "sohoa:return";

const routes = {
  login: renderLogin,
  queue: renderQueue,
  review: renderReview,
  reviewer: renderReviewer,
  dashboard: renderDashboard,
  admin: renderAdmin,
  search: renderSearch,
  "book-info": renderBookInfo,
  upload: renderUpload,
  book: renderBook,
};

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function ensureSession() {
  if (state.user) return true;
  try {
    const data = await api.whoami();
    state.user = data.user;
    setCsrf(data.csrf_token);
    showTopbar();
    return true;
  } catch {
    return false;
  }
}

export function onLoggedIn(data) {
  state.user = data.user;
  setCsrf(data.csrf_token);
  showTopbar();
}

function showTopbar() {
  const bar = document.getElementById("topbar");
  bar.hidden = false;
  const u = state.user;
  document.getElementById("whoami").textContent = `${u.username}${u.commune ? " · " + u.commune : ""}`;
  for (const a of bar.querySelectorAll("[data-role=reviewer]")) {
    a.hidden = !(u.role === "reviewer" || u.role === "admin");
  }
  for (const a of bar.querySelectorAll("[data-role=admin]")) a.hidden = u.role !== "admin";
}

let routeSeq = 0;

async function route() {
  // Routes can overlap (a hash change while a screen is still loading): only the newest may
  // render, and each renders into its own container, so a stale one writes into a detached node.
  const seq = ++routeSeq;
  const [name, ...args] = (location.hash.replace(/^#\/?/, "") || "queue").split("/");
  if (state.cleanup) {
    const fn = state.cleanup;
    state.cleanup = null;
    try {
      await fn();
    } catch (err) {
      console.error(err);
    }
  }
  const view = document.getElementById("view");
  if (name !== "login" && !(await ensureSession())) {
    if (name !== "queue") sessionStorage.setItem(RETURN_KEY, location.hash);
    location.hash = "#/login";
    return;
  }
  if (seq !== routeSeq) return;
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === name);
  }
  const root = h("div.screen-root");
  view.replaceChildren(root);
  view.className = `screen-${name}`;
  const render = routes[name] || renderQueue;
  const cleanup = await render(root, args.map(decodeURIComponent));
  if (seq !== routeSeq || !root.isConnected) {
    if (typeof cleanup === "function") await cleanup();
    return;
  }
  state.cleanup = typeof cleanup === "function" ? cleanup : null;
}

/** The help overlay: every group and row of the keymap. */
function showShortcuts() {
  if (isModalOpen()) return;
  const body = h("div.shortcuts", SHORTCUTS.map(({ title, rows }) => h("section",
    h("h3", title),
    h("dl", rows.map(({ keys, does }) => [h("dt", h("kbd", keys)), h("dd", does)])))));
  const close = h("button.primary", { type: "button", onclick: () => dialog.close() }, "Đóng (Esc)");
  const dialog = modal(h("div", body, h("div.actions", close)), { title: "Phím tắt", wide: true });
  dialog.el.classList.add("shortcut-help");
}

/** "/": the top bar's search box, its text selected. */
function focusSearch() {
  const box = document.getElementById("search-box");
  if (!box || document.getElementById("topbar").hidden) return false;
  box.focus();
  box.select();
}

const appKeys = keyHandler("app", { help: () => showShortcuts(), search: () => focusSearch() });

function onGlobalKey(ev) {
  if (!isModalOpen()) appKeys(ev);
}

setUnauthorizedHandler(() => {
  state.user = null;
  setCsrf(null);
  document.getElementById("topbar").hidden = true;
  if (!location.hash.startsWith("#/login")) {
    // Back to the same record after logging in again.
    sessionStorage.setItem(RETURN_KEY, location.hash);
    location.hash = "#/login";
  }
});

document.getElementById("logout").addEventListener("click", async () => {
  try {
    await api.logout();
  } catch {
    // Logging out of an expired session is fine.
  }
  state.user = null;
  setCsrf(null);
  document.getElementById("topbar").hidden = true;
  go("#/login");
});
document.getElementById("help-button").addEventListener("click", () => showShortcuts());
document.getElementById("search-bar").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const box = document.getElementById("search-box");
  if (box.value.trim()) startSearch(box.value.trim());
  box.value = "";
});
document.addEventListener("keydown", onGlobalKey);
window.addEventListener("hashchange", route);
route();
