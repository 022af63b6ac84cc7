// The flag and reject dialogs of the review screen: they ask for a reason or a note, nothing more.

import { h, modal, REASONS } from "./dom.js";
import { keyHandler } from "./shortcuts.js";

/** Ask why the record is flagged (Alt+F): resolves with the reason, or null when cancelled. */
export function askFlagReason() {
  return new Promise((resolve) => {
    let result = null;
    const other = h("input#flag-other", { type: "text", placeholder: "Lý do khác…", "aria-label": "Lý do khác" });
    const radios = [...REASONS, { key: "3", value: "other", label: "Khác" }].map((r, i) => h("label.reason",
      h("input", { type: "radio", name: "flag-reason", value: r.value, checked: i === 0 }),
      h("kbd", r.key), " ", r.label));
    const error = h("p.error");
    const submit = h("button.primary.warn", { type: "submit" }, "Đánh dấu (Enter)");
    const form = h("form.flag-form", radios, other, error, h("div.actions", submit,
      h("button", { type: "button", onclick: () => dialog.close() }, "Huỷ (Esc)")));
    const dialog = modal(form, { title: "Đánh dấu bản ghi", onClose: () => resolve(result) });
    form.querySelector("input[type=radio]:checked").focus();
    const pick = (i) => {
      const radio = form.querySelectorAll("input[type=radio]")[i];
      radio.checked = true;
      if (i === 2) other.focus();
      else radio.focus();
    };
    const keys = keyHandler("flag", {
      "reason-1": () => pick(0),
      "reason-2": () => pick(1),
      "reason-3": () => pick(2),
      submit: () => form.requestSubmit(),
    });
    // Digits and Enter typed as the other reason are text.
    form.addEventListener("keydown", (ev) => {
      if (ev.target !== other) keys(ev);
    });
    other.addEventListener("input", () => {
      form.querySelectorAll("input[type=radio]")[2].checked = true;
    });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const choice = form.querySelector("input[type=radio]:checked").value;
      const reason = choice === "other" ? other.value.trim() : choice;
      if (!reason) {
        error.textContent = "Hãy ghi lý do.";
        other.focus();
        return;
      }
      result = reason;
      dialog.close();
    });
  });
}

/** Ask a reviewer why the record goes back (Alt+J): resolves with the note ("" for none), or null. */
export function askRejectNote() {
  return new Promise((resolve) => {
    let result = null;
    const input = h("textarea#reject-note", { rows: 3, placeholder: "Lý do trả lại (không bắt buộc)" });
    const form = h("form", input, h("div.actions",
      h("button.primary.warn", { type: "submit" }, "Trả lại (Ctrl+Enter)"),
      h("button", { type: "button", onclick: () => dialog.close() }, "Huỷ (Esc)")));
    const dialog = modal(form, { title: "Trả lại bản ghi", onClose: () => resolve(result) });
    form.addEventListener("keydown", keyHandler("reject", { submit: () => form.requestSubmit() }));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      result = input.value.trim();
      dialog.close();
    });
  });
}
