// Upload screen: several scans at once (drop or pick), the book's data, per-file upload progress,
// then each new book's reading progress, live.

import { api } from "./api.js";
import { state } from "./app.js";
import { h, toast } from "./dom.js";
import { poll } from "./poll.js";
import { BOOK_LINK_LABEL, STATUS_LEDGER_VI, progressBar } from "./queue.js";
import { REGISTERS, registerName } from "./registry.js";
import { keyHandler } from "./shortcuts.js";
import { fmtSize, uploadErrorText, yearOfBook } from "./transfers.js";

export const ACCEPT = ".pdf,.tif,.tiff,.jpg,.jpeg,.png,application/pdf,image/tiff,image/jpeg,image/png";
const LAYOUT_ACCEPT = ".toml,.json";

export async function renderUpload(view) {
  const user = state.user || {};
  const files = [];
  const stops = [];
  const names = await Promise.all(REGISTERS.map((slug) => registerName(slug)));

  const picker = h("input#upload-files.file-input", { type: "file", multiple: true, accept: ACCEPT });
  const fileList = h("ul.file-list#file-list", { "aria-live": "polite" });
  const drop = h("div.dropzone#dropzone",
    h("p", "Kéo thả các tệp sổ (PDF, TIFF, JPEG, PNG) vào đây — mỗi tệp là một sổ — hoặc"),
    h("label.pick", picker, h("span.button", "Chọn tệp…")));
  const register = h("select#upload-register", { required: true },
    REGISTERS.map((slug, i) => h("option", { value: slug }, names[i])));
  const lockCommune = Boolean(user.commune) && user.role !== "admin";
  const commune = h("input#upload-commune", { type: "text", value: user.commune || "", readOnly: lockCommune,
    maxLength: 200, placeholder: "Xã / phường" });
  const book = h("input#upload-book", { type: "text", maxLength: 64, placeholder: "01/2019" });
  const year = h("input#upload-year", { type: "text", inputMode: "numeric", maxLength: 4, placeholder: "2019" });
  const layout = h("select#upload-layout",
    h("option", { value: "block" }, "Mỗi trang một bản ghi (mẫu in sẵn)"),
    h("option", { value: "table" }, "Sổ kẻ bảng (nhiều bản ghi mỗi trang)"));
  const layoutFile = h("input#upload-layout-file.file-input", { type: "file", accept: LAYOUT_ACCEPT, disabled: true });
  const layoutName = h("span.muted", "Chưa chọn tệp");
  layoutFile.addEventListener("change", () => {
    layoutName.textContent = layoutFile.files[0] ? layoutFile.files[0].name : "Chưa chọn tệp";
  });
  const submit = h("button.primary#upload-submit", { type: "submit", disabled: true }, "Tải lên (Ctrl+Enter)");
  const results = h("ol.upload-results#upload-results", { "aria-live": "polite" });

  book.addEventListener("input", () => {
    const y = yearOfBook(book.value);
    if (y && !year.dataset.typed) year.value = String(y);
  });
  year.addEventListener("input", () => (year.dataset.typed = year.value ? "1" : ""));
  layout.addEventListener("change", () => (layoutFile.disabled = layout.value !== "table"));

  const showFiles = () => {
    fileList.replaceChildren(...files.map((f, i) => h("li",
      h("span.name", f.name), h("span.muted", ` · ${fmtSize(f.size)}`),
      h("button.link", { type: "button", "aria-label": `Bỏ tệp ${f.name}`,
        onclick: () => { files.splice(i, 1); showFiles(); } }, "Bỏ"))));
    submit.disabled = !files.length;
  };
  const addFiles = (list) => {
    for (const f of list) {
      if (!files.some((x) => x.name === f.name && x.size === f.size)) files.push(f);
    }
    showFiles();
  };
  picker.addEventListener("change", () => {
    addFiles(picker.files);
    picker.value = "";
  });
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (ev) => {
      ev.preventDefault();
      drop.classList.add("over");
    });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    if (ev.dataTransfer && ev.dataTransfer.files) addFiles(ev.dataTransfer.files);
  });

  const form = h("form.upload-form#upload-form", { novalidate: true },
    h("section.panel", h("h2", "Tệp sổ"), drop, fileList, h("div.actions", submit)),
    h("section.panel.book-fields", h("h2", "Thông tin sổ"),
      h("label", "Loại sổ", register),
      h("label", "Xã / phường", commune),
      h("label", "Quyển số (nếu biết)", book),
      h("label", "Năm (nếu biết)", year),
      h("label", "Cách trình bày", layout),
      h("label", "Tệp bố cục cột (sổ kẻ bảng, TOML/JSON)",
        h("span.pick", layoutFile, h("span.button", "Chọn tệp…"), " ", layoutName))));

  const send = async () => {
    if (!files.length) return;
    if (layout.value === "table" && !layoutFile.files[0]) {
      toast("Sổ kẻ bảng cần tệp bố cục cột (TOML/JSON).", "error");
      layoutFile.focus();
      return;
    }
    submit.disabled = true;
    const batch = files.splice(0, files.length);
    showFiles();
    for (const file of batch) {
      await uploadOne(file, {
        register: register.value, commune: commune.value.trim(), book: book.value.trim(),
        year: year.value.trim(), layout: layout.value,
        layoutFile: layout.value === "table" && layoutFile.files[0] ? layoutFile.files[0] : null,
      }, results, stops);
    }
    submit.disabled = !files.length;
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    send();
  });
  form.addEventListener("keydown", keyHandler("upload", { submit: () => {
    if (submit.disabled) return false;
    send();
  } }));

  view.append(h("h1", "Tải sổ lên"), form,
    h("section.panel#upload-progress", h("h2", "Tiến trình"), results));
  picker.focus();
  return () => stops.forEach((stop) => stop());
}

async function uploadOne(file, meta, results, stops) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": `Tải lên ${file.name}` });
  const status = h("span.status", "Đang tải lên…");
  const row = h("li.upload-item", { dataset: { file: file.name } },
    h("div.upload-head", h("strong", file.name), h("span.muted", ` · ${fmtSize(file.size)}`)), bar, status);
  results.append(row);
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("register", meta.register);
  for (const key of ["commune", "book", "year"]) if (meta[key]) form.append(key, meta[key]);
  form.append("layout", meta.layout);
  if (meta.layoutFile) form.append("layout_file", meta.layoutFile, meta.layoutFile.name);
  let result;
  try {
    result = await api.upload(form, (loaded, total) => {
      bar.value = Math.round((100 * loaded) / total);
      status.textContent = `Đang tải lên… ${bar.value}%`;
    });
  } catch (err) {
    row.classList.add("failed");
    bar.value = 0;
    status.replaceChildren(h("span.error", uploadErrorText(err)));
    return;
  }
  bar.value = 100;
  const ledger = result.data;
  const link = h("a.button", { href: `#/book/${encodeURIComponent(ledger.id)}` }, BOOK_LINK_LABEL);
  if (ledger.duplicate) {
    row.classList.add("duplicate");
    status.replaceChildren(h("span.error", "Trùng: tệp này đã được tải lên thành sổ trước đây"), " ", link);
    return;
  }
  row.classList.add("sent");
  const reading = h("div.reading");
  status.replaceChildren(h("span", "Đã tải lên"), " ", link);
  row.append(reading);
  stops.push(followReading(ledger.id, reading));
}

/** Pages read of a just-uploaded book, refreshed until it is read. */
function followReading(ledgerId, box) {
  let last = "";
  return poll(async () => {
    const ledger = await api.ledger(ledgerId);
    const p = ledger.progress || {};
    const key = JSON.stringify([ledger.status, p]);
    const changed = key !== last;
    if (changed) {
      last = key;
      const total = p.pages_total || ledger.pages || 0;
      box.replaceChildren(h("div", progressBar("Trang đã đọc", p.pages_done || 0, total,
        [["done", p.pages_done || 0], ["failed", p.pages_failed || 0]]),
      h("span.chip", STATUS_LEDGER_VI[ledger.status] || ledger.status),
      p.pages_failed ? h("span.chip.failed", `Trang lỗi: ${p.pages_failed}`) : null,
      ledger.error ? h("span.error", ` ${ledger.error}`) : null));
    }
    const done = ["done", "partial", "failed"].includes(ledger.status);
    return { changed, done };
  });
}
