// Administration (admin role): users (create, role, commune, password, disable), API tokens
// (create — shown once —, list, revoke) and the recogniser versions (models_admin.js). Every
// action is a button or a form: keyboard reachable.

import { api } from "./api.js";
import { state } from "./app.js";
import { h, modal, toast, errorText, fmtDateTime } from "./dom.js";
import { ModelsSection } from "./models_admin.js";

export const ROLE_VI = { clerk: "Cán bộ nhập liệu", reviewer: "Người kiểm tra", admin: "Quản trị viên" };
const MIN_PASSWORD = 8;

export async function renderAdmin(view) {
  view.append(h("h1", "Quản trị"));
  if (!state.user || state.user.role !== "admin") {
    view.append(h("p.error.no-access#no-access", { role: "alert" },
      "Không có quyền: chỉ quản trị viên mới mở được trang này."));
    return;
  }
  const screen = new AdminScreen(view);
  const models = new ModelsSection(view, confirmAction);
  await Promise.all([screen.load(), models.load()]);
}

/** Ask before an action that cuts someone off; resolves true only on the confirm button. */
export function confirmAction(message, confirmLabel) {
  return new Promise((resolve) => {
    let answer = false;
    const cancel = h("button", { type: "button", onclick: () => dialog.close() }, "Hủy (Esc)");
    const ok = h("button.primary.warn.confirm-action", {
      type: "button",
      onclick: () => {
        answer = true;
        dialog.close();
      },
    }, confirmLabel);
    // The safe choice has the focus: Enter right away cancels.
    const dialog = modal(h("div", h("p", message), h("div.actions", cancel, ok)), {
      title: "Xác nhận", onClose: () => resolve(answer),
    });
    cancel.focus();
  });
}

function field(label, input) {
  return h("label.form-field", h("span", label), input);
}

function roleSelect(id, value = "clerk") {
  return h(`select#${id}`, Object.entries(ROLE_VI).map(([role, label]) =>
    h("option", { value: role, selected: role === value }, label)));
}

class AdminScreen {
  constructor(view) {
    this.users = [];
    this.usersBody = h("tbody");
    this.tokensBody = h("tbody");
    this.tokenUser = h("select#token-user", { "aria-label": "Người dùng" });
    view.append(
      h("section.panel#admin-users", h("h2", "Người dùng"), this.createUserForm(),
        h("table.records.users-table",
          h("thead", h("tr", h("th", "Tên đăng nhập"), h("th", "Vai trò"), h("th", "Xã/phường"),
            h("th", "Trạng thái"), h("th", "Tạo lúc"), h("th", "Thao tác"))),
          this.usersBody)),
      h("section.panel#admin-tokens", h("h2", "Mã truy cập API (token)"), this.createTokenForm(),
        h("table.records.tokens-table",
          h("thead", h("tr", h("th", "Người dùng"), h("th", "Tên"), h("th", "Đầu mã"), h("th", "Tạo lúc"),
            h("th", "Dùng lần cuối"), h("th", "Trạng thái"), h("th", "Thao tác"))),
          this.tokensBody)));
  }

  async load() {
    try {
      const [users, tokens] = await Promise.all([api.get("/users"), api.get("/tokens")]);
      this.users = users.items;
      this.showUsers();
      this.showTokens(tokens.items);
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  async reload() {
    await this.load();
  }

  // ---- users ---------------------------------------------------------------------------------

  createUserForm() {
    const name = h("input#new-username", { autocomplete: "off", required: true, maxlength: 80 });
    const role = roleSelect("new-role");
    const commune = h("input#new-commune", { autocomplete: "off", maxlength: 200 });
    const password = h("input#new-password", { type: "password", autocomplete: "new-password", required: true, minlength: MIN_PASSWORD });
    const error = h("p.error", { role: "alert" });
    const form = h("form.admin-form#create-user", { onsubmit: submit },
      h("h3", "Thêm người dùng"),
      h("div.form-row", field("Tên đăng nhập", name), field("Vai trò", role), field("Xã/phường", commune),
        field("Mật khẩu ban đầu", password), h("button.primary", { type: "submit" }, "Tạo người dùng")),
      error);
    const screen = this;
    async function submit(ev) {
      ev.preventDefault();
      error.textContent = "";
      if (password.value.length < MIN_PASSWORD) {
        error.textContent = `Mật khẩu cần ít nhất ${MIN_PASSWORD} ký tự.`;
        password.focus();
        return;
      }
      try {
        const made = await api.post("/users", {
          username: name.value.trim(), role: role.value,
          commune: commune.value.trim() || null, password: password.value,
        });
        toast(`Đã tạo người dùng ${made.username}`, "ok");
        form.reset();
        await screen.reload();
        name.focus();
      } catch (err) {
        error.textContent = errorText(err);
      }
    }
    return form;
  }

  showUsers() {
    this.usersBody.replaceChildren(...this.users.map((u) => this.userRow(u)));
    const selected = this.tokenUser.value;
    this.tokenUser.replaceChildren(...this.users.filter((u) => u.active).map((u) =>
      h("option", { value: u.username, selected: u.username === selected }, u.username)));
  }

  userRow(u) {
    const me = state.user && state.user.id === u.id;
    const toggle = u.active
      ? h("button.warn.disable-user", { type: "button", disabled: me, onclick: () => this.setActive(u, false) }, "Vô hiệu hóa")
      : h("button.ok.enable-user", { type: "button", onclick: () => this.setActive(u, true) }, "Kích hoạt lại");
    return h(`tr${u.active ? "" : ".inactive"}`, { dataset: { user: u.username } },
      h("td", u.username), h("td.role", ROLE_VI[u.role] || u.role), h("td.commune", u.commune || "—"),
      h("td.state", u.active ? "Đang hoạt động" : "Đã vô hiệu hóa"), h("td", fmtDateTime(u.created_at)),
      h("td.row-actions",
        h("button.edit-user", { type: "button", onclick: () => this.editUser(u) }, "Sửa vai trò, xã"),
        h("button.reset-password", { type: "button", onclick: () => this.resetPassword(u) }, "Đặt lại mật khẩu"),
        toggle));
  }

  async patchUser(u, body, done) {
    try {
      await api.patch(`/users/${u.id}`, body);
      toast(done, "ok");
      await this.reload();
      return true;
    } catch (err) {
      toast(errorText(err), "error");
      return false;
    }
  }

  editUser(u) {
    const role = roleSelect("edit-role", u.role);
    const commune = h("input#edit-commune", { value: u.commune || "", maxlength: 200 });
    const form = h("form.admin-form", { onsubmit: async (ev) => {
      ev.preventDefault();
      const body = { role: role.value, commune: commune.value.trim() || null };
      if (await this.patchUser(u, body, `Đã lưu ${u.username}`)) dialog.close();
    } },
    field("Vai trò", role), field("Xã/phường (để trống: mọi xã)", commune),
    h("div.actions", h("button.primary", { type: "submit" }, "Lưu"),
      h("button", { type: "button", onclick: () => dialog.close() }, "Hủy (Esc)")));
    const dialog = modal(form, { title: `Sửa người dùng ${u.username}` });
    role.focus();
  }

  resetPassword(u) {
    const password = h("input#reset-password", { type: "password", autocomplete: "new-password", minlength: MIN_PASSWORD, required: true });
    const error = h("p.error", { role: "alert" });
    const form = h("form.admin-form", { onsubmit: async (ev) => {
      ev.preventDefault();
      if (password.value.length < MIN_PASSWORD) {
        error.textContent = `Mật khẩu cần ít nhất ${MIN_PASSWORD} ký tự.`;
        return;
      }
      if (await this.patchUser(u, { password: password.value }, `Đã đặt lại mật khẩu cho ${u.username}`)) dialog.close();
    } },
    h("p.muted", "Người dùng sẽ bị đăng xuất khỏi mọi phiên đang mở."),
    field("Mật khẩu mới", password), error,
    h("div.actions", h("button.primary", { type: "submit" }, "Đặt lại mật khẩu"),
      h("button", { type: "button", onclick: () => dialog.close() }, "Hủy (Esc)")));
    const dialog = modal(form, { title: `Đặt lại mật khẩu cho ${u.username}` });
    password.focus();
  }

  async setActive(u, active) {
    if (!active) {
      const sure = await confirmAction(
        `Vô hiệu hóa ${u.username}? Mọi phiên đăng nhập và mã truy cập của người này ngừng hoạt động ngay.`,
        "Vô hiệu hóa");
      if (!sure) return;
    }
    await this.patchUser(u, { active }, active ? `Đã kích hoạt lại ${u.username}` : `Đã vô hiệu hóa ${u.username}`);
  }

  // ---- tokens --------------------------------------------------------------------------------

  createTokenForm() {
    const name = h("input#token-name", { autocomplete: "off", maxlength: 120, placeholder: "ví dụ: máy quét xã" });
    const form = h("form.admin-form#create-token", { onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const made = await api.post("/tokens", { user: this.tokenUser.value, name: name.value.trim() || "api" });
        form.reset();
        await this.reload();
        showSecret(made);
      } catch (err) {
        toast(errorText(err), "error");
      }
    } },
    h("h3", "Tạo mã truy cập"),
    h("div.form-row", field("Người dùng", this.tokenUser), field("Tên mã", name),
      h("button.primary", { type: "submit" }, "Tạo mã")));
    return form;
  }

  showTokens(tokens) {
    this.tokensBody.replaceChildren(...(tokens.length ? tokens.map((t) => h(`tr${t.revoked_at ? ".revoked" : ""}`,
      { dataset: { token: String(t.id) } },
      h("td", t.user), h("td", t.name), h("td", h("code", `${t.prefix}…`)), h("td", fmtDateTime(t.created_at)),
      h("td", t.last_used_at ? fmtDateTime(t.last_used_at) : "Chưa dùng"),
      h("td.state", t.revoked_at ? `Đã thu hồi ${fmtDateTime(t.revoked_at)}` : "Đang dùng"),
      h("td.row-actions", t.revoked_at ? null
        : h("button.warn.revoke-token", { type: "button", onclick: () => this.revoke(t) }, "Thu hồi"))))
      : [h("tr", h("td.muted", { colspan: 7 }, "Chưa có mã truy cập nào."))]));
  }

  async revoke(t) {
    const sure = await confirmAction(
      `Thu hồi mã “${t.name}” của ${t.user}? Mọi chương trình dùng mã này sẽ bị từ chối ngay.`, "Thu hồi");
    if (!sure) return;
    try {
      await api.del(`/tokens/${t.id}`);
      toast("Đã thu hồi mã", "ok");
      await this.reload();
    } catch (err) {
      toast(errorText(err), "error");
    }
  }
}

/** The new token, this once: a copy button and a warning; the server keeps only its hash. */
function showSecret(made) {
  const secret = h("input#new-token-secret", { type: "text", readonly: true, value: made.token, "aria-label": "Mã truy cập" });
  const copied = h("span.muted.copy-state", { role: "status" });
  const copy = h("button.copy-token", { type: "button", onclick: async () => {
    secret.select();
    try {
      await navigator.clipboard.writeText(made.token);
    } catch {
      document.execCommand("copy"); // older browsers, or a page not served over https
    }
    copied.textContent = "Đã sao chép";
  } }, "Sao chép");
  const close = h("button.primary", { type: "button", onclick: () => dialog.close() }, "Tôi đã lưu mã — Đóng");
  const dialog = modal(h("div.token-shown",
    h("p.warning", { role: "alert" },
      "Mã này chỉ hiện MỘT LẦN. Hãy sao chép và lưu ở nơi an toàn ngay bây giờ: sau khi đóng, không ai xem lại được."),
    h("p", `Người dùng: ${made.user} · Tên: ${made.name}`),
    h("div.form-row", secret, copy), copied,
    h("div.actions", close)), { title: "Mã truy cập mới", sticky: true });
  secret.select();
  copy.focus();
}
