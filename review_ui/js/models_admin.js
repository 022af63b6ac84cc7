// "Mô hình nhận dạng" (admin): the recogniser versions trained from clerks' corrections, with
// their measurements; any version not active can be activated (going back to an earlier one is
// a rollback). Buttons only: keyboard reachable; every activation asks first.

import { api } from "./api.js";
import { h, toast, errorText, fmtDateTime } from "./dom.js";

export const MODEL_STATE_VI = {
  candidate: "Đang xét",
  active: "Đang dùng",
  rejected: "Bị loại",
  retired: "Đã thay",
};
const SCOPE_VI = { installation: "Toàn hệ thống", commune: "Xã/phường", ledger: "Sổ" };

function pct(value) {
  return typeof value === "number" ? `${(value * 100).toFixed(1)} %` : "—";
}

/** Held-out CER: the version it would replace → this one. */
export function heldoutText(metrics) {
  return `${pct(metrics.heldout_cer_before)} → ${pct(metrics.heldout_cer_after)}`;
}

/** The regression sets: "in: a → b · viết tay: a → b". */
export function regressionText(metrics) {
  const names = { print: "in", hand: "viết tay" };
  const parts = Object.entries(metrics.regression || {}).map(([kind, r]) =>
    `${names[kind] || kind}: ${pct(r.current)} → ${pct(r.candidate)}`);
  return parts.length ? parts.join(" · ") : "—";
}

export function scopeText(v) {
  const label = SCOPE_VI[v.scope] || v.scope;
  return v.scope_key ? `${label}: ${v.scope === "ledger" ? v.scope_key.slice(0, 8) : v.scope_key}` : label;
}

export class ModelsSection {
  /** @param confirmAction (message, label) → Promise<boolean>, admin.js's dialog */
  constructor(view, confirmAction) {
    this.confirmAction = confirmAction;
    this.body = h("tbody");
    view.append(h("section.panel#admin-models", h("h2", "Mô hình nhận dạng"),
      h("p.muted", "Mỗi phiên bản được huấn luyện từ các trường cán bộ đã sửa và xác nhận; "
        + "chỉ được dùng khi đọc tốt hơn trên phần dữ liệu giữ lại để kiểm tra. "
        + "Kích hoạt một phiên bản cũ là quay lại phiên bản đó."),
      h("table.records.models-table",
        h("thead", h("tr", h("th", "Số"), h("th", "Phạm vi"), h("th", "Trạng thái"),
          h("th", "Lỗi ký tự (giữ lại)"), h("th", "Bộ kiểm tra hồi quy"), h("th", "Dòng huấn luyện"),
          h("th", "Tạo lúc"), h("th", "Thao tác"))),
        this.body)));
  }

  async load() {
    try {
      this.show((await api.get("/models")).items);
    } catch (err) {
      toast(errorText(err), "error");
    }
  }

  show(versions) {
    this.body.replaceChildren(...(versions.length ? versions.map((v) => h(`tr.model-${v.state}`,
      { dataset: { model: String(v.id) } },
      h("td", String(v.id)), h("td.scope", scopeText(v)),
      h("td.state", { title: v.reason || "" }, MODEL_STATE_VI[v.state] || v.state),
      h("td.heldout", heldoutText(v.metrics)), h("td.regression", regressionText(v.metrics)),
      h("td", `${v.data.train ?? "—"} / ${v.data.heldout ?? "—"}`),
      h("td", fmtDateTime(v.created_at)),
      h("td.row-actions", v.state === "active" ? null
        : h("button.activate-model", { type: "button", onclick: () => this.activate(v) },
          v.state === "retired" ? "Quay lại phiên bản này" : "Kích hoạt"))))
      : [h("tr", h("td.muted", { colspan: 8 }, "Chưa có phiên bản nào: mô hình gốc đang được dùng."))]));
  }

  async activate(v) {
    const sure = await this.confirmAction(
      `Dùng phiên bản ${v.id} cho ${scopeText(v)}? Các trang còn bản nháp chưa ai sửa sẽ được đọc lại; ` +
      "những gì cán bộ đã nhập hoặc xác nhận được giữ nguyên.", "Kích hoạt");
    if (!sure) return;
    try {
      await api.post(`/models/${v.id}/activate`, { reason: "quản trị viên chọn lại" });
      toast(`Đã kích hoạt phiên bản ${v.id}`, "ok");
      await this.load();
    } catch (err) {
      toast(errorText(err), "error");
    }
  }
}
