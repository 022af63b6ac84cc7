// Queue screen: the clerk's books with progress, and "Bắt đầu duyệt" to open the next draft.

import { api } from "./api.js";
import { h, errorText, toast } from "./dom.js";
import { go } from "./app.js";
import { registerName } from "./registry.js";
import { keyHandler } from "./shortcuts.js";
import { poll } from "./poll.js";

/** The link to a book's screen (progress, its data, downloads), on cards and after an upload. */
export const BOOK_LINK_LABEL = "Mở sổ";

export const STATUS_LEDGER_VI = {
  queued: "Chờ xử lý",
  waiting: "Chờ hàng đợi (máy xử lý tạm ngừng)",
  splitting: "Đang tách trang",
  processing: "Đang đọc",
  done: "Đã đọc xong",
  partial: "Đọc xong (có trang lỗi)",
  failed: "Lỗi",
};

export async function renderQueue(view) {
  view.append(h("h1", "Danh sách sổ"));
  const list = h("div.ledger-list", { role: "list" });
  view.append(list);
  let data;
  try {
    data = await api.ledgers();
  } catch (err) {
    list.append(h("p.error", errorText(err)));
    return;
  }
  if (!data.items.length) {
    list.append(h("p.muted", "Chưa có sổ nào."));
    return;
  }
  const names = await Promise.all(data.items.map((l) => registerName(l.register)));
  data.items.forEach((ledger, i) => list.append(ledgerCard(ledger, names[i])));
  const first = list.querySelector("button.start:not([disabled])");
  // The clerk may have moved on while the books loaded (to the search box with "/"): a list
  // that arrives late does not take the focus back (Enter would open a book's review).
  const active = document.activeElement;
  const untouched = !active || active === document.body || view.contains(active);
  if (first && view.isConnected && untouched) first.focus();
  // Arrow keys move between the books' buttons.
  const move = (delta) => {
    const buttons = [...list.querySelectorAll("button.start")];
    const i = buttons.indexOf(document.activeElement);
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, i + delta))];
    if (!next) return false;
    next.focus();
  };
  list.addEventListener("keydown", keyHandler("queue", {
    "next-book": () => move(1),
    "prev-book": () => move(-1),
  }));
  return liveCards(list, data.items, names);
}

/** Cards follow their books while they are read: progress, counts and status, in place. */
function liveCards(list, items, names) {
  const seen = new Map(items.map((l, i) => [l.id, { key: cardKey(l), name: names[i] }]));
  return poll(async () => {
    const data = await api.ledgers();
    let changed = false;
    for (const ledger of data.items) {
      const known = seen.get(ledger.id);
      const card = list.querySelector(`[data-ledger="${CSS.escape(ledger.id)}"]`);
      if (!known || !card || known.key === cardKey(ledger)) continue;
      known.key = cardKey(ledger);
      const fresh = ledgerCard(ledger, known.name);
      for (const part of [".ledger-head", ".counts"]) card.querySelector(part).replaceWith(fresh.querySelector(part));
      const bars = card.querySelectorAll(".progress");
      fresh.querySelectorAll(".progress").forEach((bar, i) => bars[i] && bars[i].replaceWith(bar));
      const start = card.querySelector("button.start");
      const next = fresh.querySelector("button.start");
      start.disabled = next.disabled;
      start.textContent = next.textContent;
      changed = true;
    }
    return { changed, done: false };
  });
}

function cardKey(ledger) {
  return JSON.stringify([ledger.status, ledger.progress, ledger.book, ledger.year]);
}

function ledgerCard(ledger, regName) {
  const p = ledger.progress || {};
  const records = (p.drafts || 0) + (p.confirmed || 0) + (p.flagged || 0);
  const start = h("button.primary.start", {
    type: "button",
    disabled: !p.drafts,
    onclick: () => startReview(ledger.id),
  }, p.drafts ? "Bắt đầu duyệt" : "Không còn bản nháp");
  return h("section.ledger-card", { role: "listitem", dataset: { ledger: ledger.id } },
    h("div.ledger-head",
      h("h2", bookTitle(regName, ledger)),
      h("span.muted", [ledger.commune || "", " · ", STATUS_LEDGER_VI[ledger.status] || ledger.status])),
    progressBar("Trang đã đọc", p.pages_done || 0, p.pages_total || ledger.pages || 0, [
      ["done", p.pages_done || 0], ["failed", p.pages_failed || 0],
    ]),
    progressBar("Bản ghi", (p.confirmed || 0) + (p.flagged || 0), records, [
      ["confirmed", p.confirmed || 0], ["flagged", p.flagged || 0],
    ]),
    h("div.counts",
      h("span.chip.draft", `Nháp: ${p.drafts || 0}`),
      h("span.chip.confirmed", `Đã xác nhận: ${p.confirmed || 0}`),
      h("span.chip.flagged", `Đã đánh dấu: ${p.flagged || 0}`),
      p.pages_failed ? h("span.chip.failed", `Trang lỗi: ${p.pages_failed}`) : null),
    h("div.actions", start,
      h("a.button.book-info-link", { href: `#/book-info/${encodeURIComponent(ledger.id)}` }, "Thông tin sổ"),
      h("a.button.book-link", { href: `#/book/${encodeURIComponent(ledger.id)}` }, BOOK_LINK_LABEL)));
}

/** "Khai sinh — Sổ 01/2019 (2019)": a book's name on its card and its screen. */
export function bookTitle(regName, ledger) {
  return `${regName} — Sổ ${ledger.book || "?"}${ledger.year ? " (" + ledger.year + ")" : ""}`;
}

export function progressBar(label, done, total, parts) {
  const bar = h("div.bar", { role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(done), "aria-label": label });
  for (const [cls, n] of parts) {
    if (total > 0 && n > 0) bar.append(h(`span.${cls}`, { style: { width: `${(100 * n) / total}%` } }));
  }
  return h("div.progress", h("span.progress-label", `${label}: ${done}/${total}`), bar);
}

export async function startReview(ledgerId, after) {
  try {
    const rec = await api.nextRecord(ledgerId, after);
    go(`#/review/${rec.id}`);
    return rec;
  } catch (err) {
    if (err.status === 404 && err.code === "none_left") toast("Sổ này đã duyệt hết bản nháp.");
    else toast(errorText(err), "error");
    return null;
  }
}
