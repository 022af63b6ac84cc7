// Search screen: find a person in the books one may see (any accents and case), with birth year or
// date and commune; a result opens the record beside its page image (the review screen).
// The typed name stays out of the page's address (#/search): it lives in this tab's storage only.

import { api } from "./api.js";
import { go } from "./app.js";
import { h, errorText, STATUS_VI } from "./dom.js";
import { groupLabel, groupOf } from "./labels.js";
import { registerName } from "./registry.js";

const SEARCH_KEY = "sohoa:search";
const PER_PAGE = 20;
const RESULT_CAP = 500; // as the API's MAX_RESULTS

function saved() {
  try {
    return JSON.parse(sessionStorage.getItem(SEARCH_KEY)) || {};
  } catch {
    return {};
  }
}

/** Start a search from anywhere (the top bar's box): remember it and show the results screen. */
export function startSearch(q) {
  sessionStorage.setItem(SEARCH_KEY, JSON.stringify({ ...saved(), q, page: 1 }));
  go("#/search");
}

export async function renderSearch(view) {
  const last = saved();
  const q = h("input#search-q", { type: "search", value: last.q || "", maxlength: 100, required: true,
    placeholder: "ví dụ: nguyen van an 1990", autocomplete: "off" });
  const birth = h("input#search-birth", { value: last.birth || "", maxlength: 10, placeholder: "1990 hoặc 05/03/1990", autocomplete: "off" });
  const commune = h("input#search-commune", { value: last.commune || "", maxlength: 200, autocomplete: "off" });
  const summary = h("p.search-summary", { role: "status" });
  const results = h("div.search-results");
  const form = h("form.admin-form.search-form", { role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    run(1, true);
  } },
  h("div.form-row",
    h("label.form-field.grow", h("span", "Họ tên (có dấu hoặc không dấu)"), q),
    h("label.form-field", h("span", "Năm sinh / ngày sinh"), birth),
    h("label.form-field", h("span", "Xã/phường"), commune),
    h("button.primary", { type: "submit" }, "Tìm")));
  view.append(h("h1", "Tìm người trong sổ"), h("section.panel", form, summary, results));

  async function run(page, focusResult) {
    const params = { q: q.value.trim(), birth: birth.value.trim(), commune: commune.value.trim(), page };
    sessionStorage.setItem(SEARCH_KEY, JSON.stringify(params));
    results.replaceChildren();
    summary.className = "search-summary";
    if (!params.q) {
      summary.textContent = "Nhập họ tên cần tìm.";
      return;
    }
    const query = new URLSearchParams({ q: params.q, page: String(page), per_page: String(PER_PAGE) });
    if (params.birth) query.set("birth", params.birth);
    if (params.commune) query.set("commune", params.commune);
    summary.textContent = "Đang tìm…";
    let data;
    try {
      data = await api.get(`/records/search?${query}`);
    } catch (err) {
      summary.classList.add("error");
      summary.textContent = errorText(err);
      return;
    }
    summary.textContent = !data.total ? "Không tìm thấy ai."
      : `${data.total}${data.total >= RESULT_CAP ? "+" : ""} bản ghi` +
        (data.total >= RESULT_CAP ? ` (chỉ hiện ${RESULT_CAP} đầu tiên: hãy thêm năm sinh hoặc xã)` : "");
    if (!data.items.length) return;
    results.append(await resultTable(data.items));
    const pages = pager(data, run);
    if (pages) results.append(pages);
    const first = results.querySelector("a.open-record");
    if (focusResult && first) first.focus();
  }

  if (last.q) await run(last.page || 1, true);
  else q.focus();
}

async function resultTable(items) {
  const names = await Promise.all(items.map((hit) => registerName(hit.register)));
  return h("table.records.search-table",
    h("thead", h("tr", h("th", "Họ tên"), h("th", "Ngày sinh"), h("th", "Loại sổ"), h("th", "Quyển số"),
      h("th", "Xã/phường"), h("th.num", "Trang"), h("th", "Số"), h("th", "Trạng thái"))),
    h("tbody", items.map((hit, i) => h("tr", { dataset: { record: hit.record_id } },
      h("td", hit.matches.map((m, j) => h("div",
        j === 0 ? h("a.open-record", { href: `#/review/${encodeURIComponent(hit.record_id)}` }, m.value || "—")
          : h("span", m.value || "—"),
        h("span.muted", ` · ${groupLabel(groupOf(m.code))}`)))),
      h("td", hit.matches.map((m) => h("div", m.birth || "—"))),
      h("td", names[i]), h("td", `${hit.book || "?"}${hit.year ? " (" + hit.year + ")" : ""}`),
      h("td", hit.commune || "—"), h("td.num", String(hit.page)), h("td", hit.so || "—"),
      h("td", STATUS_VI[hit.status] || hit.status)))));
}

function pager(data, run) {
  const pages = Math.max(1, Math.ceil(Math.min(data.total, RESULT_CAP) / data.per_page));
  if (pages === 1) return null;
  return h("div.actions.pager",
    h("button.prev-page", { type: "button", disabled: data.page <= 1, onclick: () => run(data.page - 1, true) }, "Trang trước"),
    h("span.muted", `Trang ${data.page}/${pages}`),
    h("button.next-page", { type: "button", disabled: data.page >= pages, onclick: () => run(data.page + 1, true) }, "Trang sau"));
}
