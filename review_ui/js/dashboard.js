// Dashboard: progress per commune and register, confirmations per day (inline SVG), per clerk.

import { api, fetchAll } from "./api.js";
import { h, errorText } from "./dom.js";
import { poll } from "./poll.js";
import { progressBar } from "./queue.js";
import { registerName } from "./registry.js";

const SVG = "http://www.w3.org/2000/svg";

export async function renderDashboard(view) {
  const lastBooks = { key: "" };
  view.append(h("h1", "Tiến độ"));
  let stats;
  try {
    stats = await api.stats();
  } catch (err) {
    view.append(h("p.error", errorText(err)));
    return;
  }
  const hasToday = stats.per_user.some((u) => "today" in u);
  const names = await Promise.all(stats.by_commune.map((r) => registerName(r.register)));
  view.append(
    h("section.panel#by-commune", h("h2", "Theo xã và loại sổ"),
      stats.by_commune.length ? h("table.records",
        h("thead", h("tr", h("th", "Xã"), h("th", "Loại sổ"), h("th.num", "Số sổ"), h("th.num", "Bản ghi"),
          h("th.num", "Nháp"), h("th.num", "Đã xác nhận"), h("th.num", "Đánh dấu"), h("th", "Tiến độ"))),
        h("tbody", stats.by_commune.map((r, i) => h("tr",
          h("td", r.commune || "—"), h("td", names[i]), h("td.num", String(r.ledgers)), h("td.num", String(r.records)),
          h("td.num", String(r.draft)), h("td.num", String(r.confirmed)), h("td.num", String(r.flagged)),
          h("td", progressBar("Đã xử lý", r.confirmed + r.flagged, r.records, [
            ["confirmed", r.confirmed], ["flagged", r.flagged]]))))))
        : h("p.muted", "Chưa có dữ liệu.")),
    h("section.panel#per-book", h("h2", "Theo sổ"), await bookTable(lastBooks)),
    h("section.panel#per-day", h("h2", "Bản ghi xác nhận mỗi ngày"), dayChart(stats.per_day)),
    h("section.panel#per-user", h("h2", "Theo người nhập"),
      stats.per_user.length ? h("table.records",
        h("thead", h("tr", h("th", "Người"), h("th.num", "Xác nhận"), h("th.num", "Lần sửa"), h("th.num", "Đánh dấu"),
          hasToday ? h("th.num", "Hôm nay") : null)),
        h("tbody", stats.per_user.map((u) => h("tr", { dataset: { user: u.user } }, h("td", u.user),
          h("td.num", String(u.confirmed)), h("td.num", String(u.edited)), h("td.num", String(u.flagged ?? "")),
          hasToday ? h("td.num", String(u.today ?? 0)) : null)))) : h("p.muted", "Chưa có dữ liệu.")));
  // The books' table follows reading progress without a reload.
  return poll(async () => {
    const table = await bookTable(lastBooks);
    if (!table) return { changed: false };
    view.querySelector("#per-book").lastChild.replaceWith(table);
    return { changed: true };
  });
}

/** The per-book table; null when nothing changed since `last.key`. */
async function bookTable(last) {
  let books;
  try {
    books = await fetchAll((page) => api.ledgers({ page }));
  } catch (err) {
    return h("p.error", errorText(err));
  }
  const key = JSON.stringify(books.map((b) => [b.id, b.status, b.progress]));
  if (key === last.key) return null;
  last.key = key;
  if (!books.length) return h("p.muted", "Chưa có sổ nào.");
  const names = await Promise.all(books.map((b) => registerName(b.register)));
  return h("table.records",
    h("thead", h("tr", h("th", "Sổ"), h("th", "Xã"), h("th.num", "Trang"), h("th", "Trang đã đọc"),
      h("th.num", "Nháp"), h("th.num", "Đã xác nhận"), h("th.num", "Đánh dấu"), h("th", "Bản ghi đã xử lý"))),
    h("tbody", books.map((b, i) => {
      const p = b.progress || {};
      const records = (p.drafts || 0) + (p.confirmed || 0) + (p.flagged || 0);
      return h("tr", { dataset: { ledger: b.id } },
        h("td", `${names[i]} · ${b.book || "?"}${b.year ? " (" + b.year + ")" : ""}`),
        h("td", b.commune || "—"), h("td.num", String(p.pages_total ?? b.pages)),
        h("td", progressBar("Đã đọc", p.pages_done || 0, p.pages_total || b.pages || 0, [
          ["done", p.pages_done || 0], ["failed", p.pages_failed || 0]])),
        h("td.num", String(p.drafts || 0)), h("td.num", String(p.confirmed || 0)), h("td.num", String(p.flagged || 0)),
        h("td", progressBar("Đã xử lý", (p.confirmed || 0) + (p.flagged || 0), records, [
          ["confirmed", p.confirmed || 0], ["flagged", p.flagged || 0]])));
    })));
}

/** A bar chart of [{day, confirmed}] as inline SVG: no library, readable at laptop size. */
export function dayChart(days) {
  if (!days.length) return h("p.muted", "Chưa có bản ghi nào được xác nhận.");
  const shown = days.slice(-30);
  const W = 900;
  const H = 220;
  const pad = { l: 40, r: 10, t: 14, b: 40 };
  const max = Math.max(1, ...shown.map((d) => d.confirmed));
  const bw = Math.min(60, (W - pad.l - pad.r) / shown.length);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Số bản ghi xác nhận mỗi ngày");
  const el = (name, attrs, text) => {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const y = (v) => H - pad.b - ((H - pad.t - pad.b) * v) / max;
  el("line", { x1: pad.l, x2: W - pad.r, y1: y(0), y2: y(0), class: "axis" });
  for (const v of [0, Math.round(max / 2), max]) {
    el("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, String(v));
  }
  shown.forEach((d, i) => {
    const x = pad.l + i * bw;
    const bar = el("rect", { x: x + bw * 0.15, y: y(d.confirmed), width: bw * 0.7, height: y(0) - y(d.confirmed), class: "col" });
    const t = document.createElementNS(SVG, "title");
    t.textContent = `${d.day}: ${d.confirmed}`;
    bar.append(t);
    el("text", { x: x + bw / 2, y: y(d.confirmed) - 3, "text-anchor": "middle", class: "value" }, String(d.confirmed));
    const [yy, mm, dd] = String(d.day).split("-");
    el("text", { x: x + bw / 2, y: H - pad.b + 16, "text-anchor": "middle", class: "tick" }, `${dd}/${mm}`);
    if (i === 0 || mm === "01" && dd === "01") el("text", { x: x + bw / 2, y: H - pad.b + 30, "text-anchor": "middle", class: "tick" }, yy);
  });
  return svg;
}
