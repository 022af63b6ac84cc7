// Login screen: POST /session, keep the CSRF token for the tab, go to the queue.

import { api } from "./api.js";
import { h, errorText } from "./dom.js";
import { go, onLoggedIn, RETURN_KEY } from "./app.js";

export function renderLogin(view) {
  document.getElementById("topbar").hidden = true;
  const user = h("input#login-user", { name: "username", autocomplete: "username", required: true });
  const pass = h("input#login-pass", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p.error#login-error", { role: "alert" });
  const button = h("button.primary", { type: "submit" }, "Đăng nhập");
  const form = h("form.login-card", { onsubmit: submit },
    h("h1", "Sohoa"),
    h("p.muted", "Số hóa sổ hộ tịch — duyệt bản nháp"),
    h("label", { for: "login-user" }, "Tên đăng nhập"), user,
    h("label", { for: "login-pass" }, "Mật khẩu"), pass,
    error, button);
  view.append(h("div.login-wrap", form));
  user.focus();

  async function submit(ev) {
    ev.preventDefault();
    error.textContent = "";
    button.disabled = true;
    try {
      const data = await api.login(user.value.trim(), pass.value);
      onLoggedIn(data);
      const back = sessionStorage.getItem(RETURN_KEY);
      sessionStorage.removeItem(RETURN_KEY);
      go(back && back.startsWith("#/") && !back.startsWith("#/login") ? back : "#/queue");
    } catch (err) {
      error.textContent = err.status === 401 ? "Sai tên đăng nhập hoặc mật khẩu"
        : err.status === 429 ? throttledText(err.retryAfter)
        : errorText(err);
      pass.select();
    } finally {
      button.disabled = false;
    }
  }
}

/** Too many failed logins: when the user name (or this computer) may try again. */
function throttledText(seconds) {
  const minutes = Math.max(1, Math.ceil((seconds || 60) / 60));
  return `Đăng nhập sai quá nhiều lần. Thử lại sau ${minutes} phút.`;
}
