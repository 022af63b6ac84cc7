// "Thông tin sổ": the book's data as its pages give it (voted across the pages), the pages that
// say otherwise, and a form to correct the book's data at any time (PATCH /ledgers/{id}).

import { api } from "./api.js";
import { h, errorText, toast } from "./dom.js";
import { go, state } from "./app.js";
import { BOOK_LINK_LABEL } from "./queue.js";
import { REGISTER_NAMES } from "./registry.js";

const FACT_LABELS = {
  register: "Loại sổ",
  book: "Quyển số",
  year: "Năm",
  authority: "Nơi đăng ký (cơ quan đăng ký)",
  signer: "Người ký",
  officer: "Người thực hiện",
};
const STATUS_VI = {
  agreed: "Các trang thống nhất",
  disputed: "Các trang không thống nhất",
  unread: "Không đọc được trên trang nào",
};
// Book attributes the form edits: [attribute, label, input type].
const EDITABLE = [
  ["register", "Loại sổ", "select"],
  ["book", "Quyển số (vd. 01/2019)", "text"],
  ["year", "Năm", "number"],
  ["authority", "Nơi đăng ký (cơ quan đăng ký)", "text"],
  ["commune", "Xã/phường", "text"],
];

export async function renderBookInfo(view, [ledgerId]) {
  view.append(h("p.crumbs", h("a", { href: "#/queue" }, "← Danh sách sổ"), " · ",
    h("a.book-link", { href: `#/book/${encodeURIComponent(ledgerId)}` }, `${BOOK_LINK_LABEL}: tiến độ và tải xuống`)));
  const holder = h("div");
  view.append(holder);
  let ledger;
  try {
    ledger = await api.ledger(ledgerId);
  } catch (err) {
    holder.append(h("p.error", errorText(err)));
    return;
  }
  holder.append(bookInfoPanel(ledger, () => go(`#/book-info/${encodeURIComponent(ledgerId)}`)));
  const first = holder.querySelector("input, select");
  if (first) first.focus();
}

function shown(fact, value) {
  if (value === null || value === undefined || value === "") return "—";
  return fact === "register" ? REGISTER_NAMES[value] || value : String(value);
}

function pageLinks(ledgerId, pages) {
  const links = [];
  pages.forEach((p, i) => {
    if (i) links.push(", ");
    links.push(h("a.page-link", {
      href: api.pageImageUrl(ledgerId, p),
      target: "_blank",
      rel: "noopener",
      dataset: { page: String(p) },
      "aria-label": `Mở trang ${p}`,
    }, `trang ${p}`));
  });
  return links;
}

/**
 * The panel for one ledger (GET /ledgers/{id}); `saved` runs after a successful save. `heading`:
 * "h1" on its own screen, "h2" inside the book screen.
 */
export function bookInfoPanel(ledger, saved, { heading = "h1" } = {}) {
  const reading = ledger.book_reading || null;
  const facts = (reading && reading.facts) || {};
  const rows = Object.keys(FACT_LABELS).map((fact) => {
    const vote = facts[fact];
    const current = ["register", "book", "year", "authority"].includes(fact) ? ledger[fact] : undefined;
    const outliers = vote && vote.outliers && vote.outliers.length
      ? h("ul.outliers", vote.outliers.map((o) => h("li", `'${o.value}': `, pageLinks(ledger.id, o.pages))))
      : null;
    return h("tr", { dataset: { fact } },
      h("th", { scope: "row" }, FACT_LABELS[fact]),
      h("td.current", current === undefined ? "" : shown(fact, current)),
      h("td.proposed", vote && vote.value
        ? [h("strong", shown(fact, vote.value)), ` (${vote.pages.length}/${vote.cast} trang)`]
        : "—"),
      h("td.status", vote ? STATUS_VI[vote.status] || vote.status : "Chưa đọc"),
      h("td.outlier-cell", outliers || ""));
  });
  const table = h("table.book-facts",
    h("caption", "Theo các trang của sổ"),
    h("thead", h("tr",
      h("th", { scope: "col" }, "Thông tin"),
      h("th", { scope: "col" }, "Của sổ"),
      h("th", { scope: "col" }, "Đề xuất theo các trang"),
      h("th", { scope: "col" }, "Tình trạng"),
      h("th", { scope: "col" }, "Trang ghi khác"))),
    h("tbody", rows));
  const notes = [];
  for (const [fact, message] of Object.entries((reading && reading.mismatches) || {})) {
    notes.push(h("li.mismatch", `${FACT_LABELS[fact] || fact}: ${message}`));
  }
  for (const w of (reading && reading.warnings) || []) {
    notes.push(h("li.book-warning", w.message, " — ", pageLinks(ledger.id, [w.page])));
  }
  return h("section.book-info", { "aria-labelledby": "book-info-title" },
    h(`${heading}#book-info-title`, "Thông tin sổ"),
    reading ? null : h("p.muted", "Sổ chưa đọc xong: chưa có thông tin từ các trang."),
    table,
    notes.length ? h("ul.book-notes", { "aria-label": "Cảnh báo của sổ" }, notes) : null,
    editForm(ledger, facts, saved));
}

function editForm(ledger, facts, saved) {
  const isAdmin = state.user && state.user.role === "admin";
  const inputs = {};
  const errors = {};
  const fields = EDITABLE.filter(([name]) => name !== "commune" || isAdmin).map(([name, label, type]) => {
    const id = `book-edit-${name}`;
    let input;
    if (type === "select") {
      input = h("select", { id, name },
        Object.entries(REGISTER_NAMES).map(([slug, vi]) => h("option", { value: slug }, vi)));
      input.value = ledger.register;
    } else {
      input = h("input", { id, name, type, value: ledger[name] ?? "", autocomplete: "off" });
      if (type === "number") input.setAttribute("inputmode", "numeric");
    }
    inputs[name] = input;
    errors[name] = h("span.field-error", { id: `${id}-error`, role: "alert" });
    input.setAttribute("aria-describedby", `${id}-error`);
    return h("div.form-row", h("label", { for: id }, label), input, errors[name]);
  });
  const useProposed = h("button", {
    type: "button",
    onclick: () => {
      for (const name of ["register", "book", "year", "authority"]) {
        const vote = facts[name];
        if (vote && vote.status === "agreed" && vote.value) inputs[name].value = vote.value;
      }
      inputs.book.focus();
    },
  }, "Dùng giá trị đề xuất");
  const save = h("button.primary", { type: "submit" }, "Lưu thông tin sổ");
  const form = h("form.book-edit", { "aria-label": "Sửa thông tin sổ" },
    h("h2", "Sửa thông tin sổ"), fields, h("div.actions", useProposed, save));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    for (const el of Object.values(errors)) el.textContent = "";
    const body = {};
    for (const [name, input] of Object.entries(inputs)) {
      let value = input.value.trim();
      let before = ledger[name] ?? "";
      if (name === "year") {
        value = value === "" ? null : Number(value);
        before = ledger.year ?? null;
      } else if (value === "" && name !== "register") {
        value = null;
        before = ledger[name] ?? null;
      }
      if (value !== before) body[name] = value;
    }
    if (!Object.keys(body).length) {
      toast("Không có thay đổi.");
      return;
    }
    save.disabled = true;
    try {
      await api.patch(`/ledgers/${encodeURIComponent(ledger.id)}`, body);
      toast("Đã lưu thông tin sổ.");
      if (saved) saved();
    } catch (err) {
      const field = err.body && err.body.error && err.body.error.field;
      if (field && errors[field]) {
        errors[field].textContent = errorText(err);
        inputs[field].focus();
      } else {
        toast(errorText(err), "error");
      }
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
