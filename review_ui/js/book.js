// Book screen: reading progress live (pages read, failed pages with their reason and "Thử lại"),
// and downloads: every export format, run as a job that stays available to download.

import { api } from "./api.js";
import { h, errorText, fmtDateTime, toast } from "./dom.js";
import { poll } from "./poll.js";
import { bookInfoPanel } from "./book_info.js";
import { STATUS_LEDGER_VI, bookTitle, progressBar, startReview } from "./queue.js";
import { registerName } from "./registry.js";
import { EXPORT_FORMATS, exportStatusText, formatLabel } from "./transfers.js";

export async function renderBook(view, [ledgerId]) {
  let ledger;
  try {
    ledger = await api.ledger(ledgerId);
  } catch (err) {
    view.append(h("h1", "Sổ"), h("p.error", errorText(err)));
    return;
  }
  const name = await registerName(ledger.register);
  const title = h("h1", bookTitle(name, ledger));
  const sub = h("p.muted.book-sub");
  const reading = h("section.panel#reading", { "aria-live": "polite" });
  const includeDrafts = h("input#export-drafts", { type: "checkbox" });
  const jobs = h("div#export-jobs");
  const downloads = h("section.panel#downloads", h("h2", "Tải xuống"),
    h("p.muted", "Mỗi lần xuất chạy nền; tệp được giữ lại để tải về sau."),
    h("label.inline", includeDrafts, " Gồm cả bản ghi chưa xác nhận (bản nháp)"),
    h("div.export-buttons", EXPORT_FORMATS.map(({ format, label }) => h("button", {
      type: "button", dataset: { format }, onclick: () => startExport(format),
    }, label))),
    jobs);
  const bookData = h("section.panel#book-data");
  view.append(h("p", h("a", { href: "#/queue" }, "← Danh sách sổ")), title, sub, reading, bookData, downloads);

  let lastLedger = "";
  let lastBookData = "";
  let lastJobs = "";
  let jobList = [];

  const showLedger = (l) => {
    const key = JSON.stringify([l.status, l.progress, l.failed_pages, l.error, l.book, l.year, l.register]);
    if (key === lastLedger) return false;
    lastLedger = key;
    ledger = l;
    title.textContent = bookTitle(name, l);
    sub.textContent = [l.commune, STATUS_LEDGER_VI[l.status] || l.status, l.filename].filter(Boolean).join(" · ");
    redrawKeepingFocus(reading, h("div", readingPanel(l, { retryPage, retryAll, review: () => startReview(l.id) })));
    return true;
  };
  // The book's data (Thông tin sổ): redrawn when the pages' vote or a save changes it, never
  // under the clerk's hands while they are editing it.
  const showBookData = (l, force = false) => {
    const key = JSON.stringify([l.register, l.book, l.year, l.authority, l.commune, l.book_reading]);
    if (!force && (key === lastBookData || bookData.contains(document.activeElement))) return false;
    lastBookData = key;
    redrawKeepingFocus(bookData, bookInfoPanel(l, () => saved(), { heading: "h2" }));
    return true;
  };
  async function saved() {
    try {
      const l = await api.ledger(ledgerId);
      showLedger(l);
      showBookData(l, true);
    } catch (err) {
      toast(errorText(err), "error");
    }
  }
  const showJobs = (items) => {
    const key = JSON.stringify(items);
    if (key === lastJobs) return false;
    lastJobs = key;
    jobList = items;
    jobs.replaceChildren(exportTable(items));
    return true;
  };

  const refresh = async () => {
    const [l, list] = await Promise.all([api.ledger(ledgerId), api.exports(ledgerId)]);
    const ledgerMoved = showLedger(l);
    const dataMoved = showBookData(l);
    const jobsMoved = showJobs(list.items);
    return { changed: ledgerMoved || dataMoved || jobsMoved, done: false };
  };
  let stop = () => {};
  const restart = () => {
    stop();
    stop = poll(refresh);
  };

  async function retryPage(page) {
    try {
      await api.retryPage(ledgerId, page);
      toast(`Đã xếp trang ${page} đọc lại.`);
    } catch (err) {
      toast(errorText(err), "error");
    }
    await refresh().catch(() => null);
    restart();
  }
  async function retryAll() {
    try {
      const res = await api.retryFailed(ledgerId);
      toast(`Đã xếp ${res.pages.length} trang lỗi đọc lại.`);
    } catch (err) {
      toast(errorText(err), "error");
    }
    await refresh().catch(() => null);
    restart();
  }
  async function startExport(format) {
    try {
      const job = await api.startExport(ledgerId, { format, include_drafts: includeDrafts.checked });
      showJobs([job, ...jobList.filter((j) => j.id !== job.id)]);
    } catch (err) {
      toast(errorText(err), "error");
    }
    restart();
  }

  showLedger(ledger);
  showBookData(ledger);
  try {
    showJobs((await api.exports(ledgerId)).items);
  } catch (err) {
    jobs.replaceChildren(h("p.error", errorText(err)));
  }
  restart();
  return () => stop();
}

const FINAL = ["done", "partial", "failed"];

/**
 * Replace `box`'s content; the control that had the focus in it (found again by its id or its
 * aria-label) keeps it, so a keyboard user is not thrown out by a live update or a save.
 */
function redrawKeepingFocus(box, content) {
  const el = box.contains(document.activeElement) ? document.activeElement : null;
  const id = el && el.id;
  const label = el && el.getAttribute("aria-label");
  box.replaceChildren(content);
  const again = id ? box.querySelector(`#${CSS.escape(id)}`)
    : label ? box.querySelector(`[aria-label="${CSS.escape(label)}"]`) : null;
  if (again) again.focus();
}

function readingPanel(l, actions) {
  const p = l.progress || {};
  const total = p.pages_total || l.pages || 0;
  const reading = !FINAL.includes(l.status);
  const failed = l.failed_pages || [];
  const out = [
    h("h2", "Tiến độ đọc"),
    progressBar("Trang đã đọc", p.pages_done || 0, total, [["done", p.pages_done || 0], ["failed", p.pages_failed || 0]]),
    h("p.counts#reading-counts",
      h("span.chip", `Đã đọc: ${p.pages_done || 0}/${total}`),
      reading ? h("span.chip.draft", `Đang đọc: ${p.pages_running || 0} · Chờ: ${p.pages_pending || 0}`) : null,
      p.pages_failed ? h("span.chip.failed", `Trang lỗi: ${p.pages_failed}`) : null,
      h("span.chip", `Bản nháp: ${p.drafts || 0}`),
      h("span.chip.confirmed", `Đã xác nhận: ${p.confirmed || 0}`)),
    l.error ? h("p.error", `Lỗi của sổ: ${l.error}`) : null,
  ];
  if (failed.length) {
    out.push(h("h3", "Trang lỗi"), h("table.records#failed-pages",
      h("thead", h("tr", h("th.num", "Trang"), h("th", "Lý do"), h("th.num", "Số lần thử"), h("th", ""))),
      h("tbody", failed.map((pg) => h("tr", { dataset: { page: pg.page } },
        h("td.num", String(pg.page)), h("td", pg.error || "—"), h("td.num", String(pg.attempts)),
        h("td", h("button.retry", { type: "button", "aria-label": `Thử lại trang ${pg.page}`,
          onclick: () => actions.retryPage(pg.page) }, "Thử lại")))))),
    h("div.actions", h("button#retry-all", { type: "button", onclick: () => actions.retryAll() },
      `Thử lại tất cả trang lỗi (${failed.length})`)));
  }
  if (p.drafts) {
    out.push(h("div.actions", h("button.primary#start-review", { type: "button", onclick: actions.review }, "Bắt đầu duyệt")));
  }
  return out;
}

function exportTable(items) {
  if (!items.length) return h("p.muted", "Chưa xuất lần nào.");
  return h("table.records.exports",
    h("thead", h("tr", h("th", "Định dạng"), h("th", "Lúc yêu cầu"), h("th", "Trạng thái"), h("th", "Tệp"))),
    h("tbody", items.map((job) => h("tr", { dataset: { job: job.id, status: job.status } },
      h("td", formatLabel(job.format) + (job.include_drafts ? " · gồm bản nháp" : "")),
      h("td", fmtDateTime(job.created_at)),
      h("td", job.status === "failed" ? h("span.error", exportStatusText(job)) : exportStatusText(job),
        job.status === "running" && job.records_total
          ? h("progress", { max: job.records_total, value: job.records_done, "aria-label": "Tiến độ xuất" }) : null),
      h("td", job.download
        ? h("a.button.download", { href: job.download, download: job.filename || "" }, `Tải về ${job.filename || ""}`)
        : "")))));
}
