// Reviewer screen: confirmed records to second-check (all, or a sample per clerk), flagged records.

import { api, fetchAll } from "./api.js";
import { h, errorText, fmtDateTime, reasonLabel } from "./dom.js";
import { go, state } from "./app.js";
import { REVIEW_LIST_KEY } from "./review.js";
import { registerName } from "./registry.js";

const NAME_FIELDS = ["nksHoTen", "nktHoTen", "chongHoTen", "nxnHoTen", "ncHoTen", "cmHoTen"];
const DATE_FIELDS = ["ngayDangKy"];

export async function renderReviewer(view) {
  const isReviewer = state.user && (state.user.role === "reviewer" || state.user.role === "admin");
  view.append(h("h1", "Kiểm tra lại"));
  if (!isReviewer) {
    view.append(h("p.muted", "Trang này dành cho người kiểm tra."));
  }
  const sampleSel = h("select#sample", { "aria-label": "Chọn mẫu" },
    h("option", { value: "all" }, "Tất cả bản ghi chưa kiểm tra"),
    h("option", { value: "5" }, "Mẫu: 5 bản ghi mỗi người nhập"),
    h("option", { value: "10" }, "Mẫu: 10 bản ghi mỗi người nhập"),
    h("option", { value: "pct10" }, "Mẫu: 10% mỗi người nhập"));
  const startBtn = h("button.primary#start-check", { type: "button" }, "Bắt đầu kiểm tra");
  const confirmedBox = h("div.table-wrap");
  const flaggedBox = h("div.table-wrap");
  view.append(
    h("section.panel", h("h2", "Bản ghi đã xác nhận, chưa kiểm tra"),
      h("div.toolbar", sampleSel, startBtn), confirmedBox),
    h("section.panel", h("h2", "Bản ghi bị đánh dấu"), flaggedBox));
  let confirmed = [];
  let flagged = [];
  try {
    const ledgers = await fetchAll((page) => api.ledgers({ page }));
    for (const l of ledgers) {
      const p = l.progress || {};
      const name = await registerName(l.register);
      const tag = (r) => ({ ...r, ledger: l, registerName: name });
      if (p.confirmed) {
        const items = await fetchAll((page) => api.ledgerRecords(l.id, { status: "confirmed", page }));
        confirmed.push(...items.filter((r) => !r.reviewed_by).map(tag));
      }
      if (p.flagged) {
        const items = await fetchAll((page) => api.ledgerRecords(l.id, { status: "flagged", page }));
        flagged.push(...items.map(tag));
      }
    }
  } catch (err) {
    confirmedBox.append(h("p.error", errorText(err)));
    return;
  }
  const draw = () => {
    const chosen = sample(confirmed, sampleSel.value);
    confirmedBox.replaceChildren(recordTable(chosen, true));
    startBtn.disabled = !chosen.length || !isReviewer;
    startBtn.onclick = () => openList(chosen.map((r) => r.id));
  };
  sampleSel.addEventListener("change", draw);
  draw();
  flaggedBox.replaceChildren(recordTable(flagged, false));
  (startBtn.disabled ? sampleSel : startBtn).focus();
}

/** Up to n (or 10%) confirmed records per clerk, spread over the book rather than the first n. */
export function sample(records, how) {
  if (how === "all") return records;
  const byClerk = new Map();
  for (const r of records) {
    const k = r.confirmed_by || "?";
    if (!byClerk.has(k)) byClerk.set(k, []);
    byClerk.get(k).push(r);
  }
  const out = [];
  for (const list of byClerk.values()) {
    const n = how === "pct10" ? Math.max(1, Math.ceil(list.length / 10)) : Number(how);
    const step = list.length / Math.min(n, list.length);
    for (let i = 0; i < Math.min(n, list.length); i++) out.push(list[Math.floor(i * step)]);
  }
  return out;
}

function firstValue(r, codes) {
  for (const c of codes) if (r.fields[c] && r.fields[c].value) return r.fields[c].value;
  return "";
}

function recordTable(records, confirmed) {
  if (!records.length) return h("p.muted", "Không có bản ghi nào.");
  return h("table.records",
    h("thead", h("tr", h("th", "Sổ"), h("th", "Trang"), h("th", "Số"), h("th", "Họ tên"), h("th", "Ngày đăng ký"),
      h("th", confirmed ? "Người xác nhận" : "Lý do"), h("th", confirmed ? "Lúc" : "Người nhận"), h("th", ""))),
    h("tbody", records.map((r) => h("tr", { dataset: { record: r.id } },
      h("td", `${r.registerName} · ${r.ledger.book || "?"}`),
      h("td", String(r.page)),
      h("td", (r.fields.so && r.fields.so.value) || ""),
      h("td", firstValue(r, NAME_FIELDS)),
      h("td", firstValue(r, DATE_FIELDS)),
      h("td", confirmed ? r.confirmed_by || "" : reasonLabel(r.flag_reason)),
      h("td", confirmed ? fmtDateTime(r.confirmed_at) : r.assigned_to || ""),
      h("td", h("button", { type: "button", onclick: () => openList(records.map((x) => x.id), r.id) }, "Mở"))))));
}

function openList(ids, start) {
  if (!ids.length) return;
  sessionStorage.setItem(REVIEW_LIST_KEY, JSON.stringify(ids));
  go(`#/review/${start || ids[0]}`);
}
