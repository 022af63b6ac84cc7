// The one keymap: every keyboard shortcut, read by each screen's key dispatch and by the help
// overlay ("?" or F1, app.js); docs/UI.md lists the same keys. No DOM here (tests/js/).

/**
 * A binding: in `scope` (where the keydown is heard), `action` runs on any of its combos.
 * A combo matches a keydown: `key` (ev.key) or `code` (ev.code, for letters: the same key on any
 * keyboard layout), one or a list; ctrl/alt/shift/meta true = held, false = not held, absent =
 * either; inText "modifier": in a text field the key types a character, so there it counts only
 * with Ctrl or Alt held.
 *
 * Scopes: app (whole app), review (review screen), field (a field's input), note (its note),
 * queue (list of books), upload (upload screen), dialog (any dialog), conflict, flag, reject (those dialogs).
 */
const on = (scope, action, ...combos) => ({ scope, action, combos });

/** Help groups, each row {keys, does, on}: what the help overlay shows, and what it binds. */
export const SHORTCUTS = [
  { title: "Chung", rows: [
    { keys: "?  hoặc  F1", does: "Hiện danh sách phím tắt", on: [
      on("app", "help", { key: "?", inText: "modifier" }, { key: "F1" })] },
    { keys: "/", does: "Tìm người theo họ tên (khi không đang gõ)", on: [
      on("app", "search", { key: "/", ctrl: false, alt: false, inText: "modifier" })] },
    { keys: "Esc", does: "Đóng hộp thoại / bỏ gợi ý / hoàn tác ô đang sửa", on: [
      on("dialog", "close", { key: "Escape" })] },
  ] },
  { title: "Danh sách sổ", rows: [
    { keys: "↑ / ↓", does: "Chọn sổ", on: [
      on("queue", "prev-book", { key: "ArrowUp" }),
      on("queue", "next-book", { key: "ArrowDown" })] },
    // Enter on the focused "Bắt đầu duyệt" button is the browser's own.
    { keys: "Enter", does: "Bắt đầu duyệt sổ đang chọn", on: [] },
  ] },
  { title: "Tải sổ lên và theo dõi sổ", rows: [
    // The file picker, fields and buttons are reached with Tab; Enter/Space opens the picker.
    { keys: "Tab rồi Enter / Space", does: "Chọn tệp, điền thông tin sổ, bấm nút (Thử lại, Tải xuống)", on: [] },
    { keys: "Ctrl+Enter", does: "Tải các tệp đã chọn lên", on: [
      on("upload", "submit", { key: "Enter", ctrl: true })] },
    // The form's own submit (book_info.js), on the book screen and on "Thông tin sổ".
    { keys: "Enter", does: "Lưu thông tin sổ (trong một ô của biểu mẫu “Sửa thông tin sổ”)", on: [] },
  ] },
  { title: "Duyệt bản ghi — các ô", rows: [
    { keys: "Tab / Shift+Tab", does: "Ô sau / ô trước", on: [
      on("field", "next-field", { key: "Tab", ctrl: false, alt: false, shift: false }),
      on("field", "prev-field", { key: "Tab", ctrl: false, alt: false, shift: true }),
      // From a note, the field it belongs to comes before it.
      on("note", "next-field", { key: "Tab", ctrl: false, alt: false, shift: false }),
      on("note", "to-field", { key: "Tab", ctrl: false, alt: false, shift: true })] },
    { keys: "Enter", does: "Chấp nhận ô, sang ô cần kiểm tra tiếp theo", on: [
      on("field", "accept", { key: "Enter", ctrl: false, alt: false, shift: false, meta: false }),
      on("note", "accept", { key: "Enter", ctrl: false, alt: false })] },
    { keys: "↓ / ↑ rồi Enter", does: "Chọn gợi ý (dân tộc, quốc tịch, nơi chốn, danh mục)", on: [
      on("field", "suggestion-down", { key: "ArrowDown", ctrl: false }),
      on("field", "suggestion-up", { key: "ArrowUp", ctrl: false })] },
    // Ctrl+A is the browser's own select-all.
    { keys: "Ctrl+A rồi gõ", does: "Gõ lại cả ô", on: [] },
    { keys: "Esc", does: "Trả ô về giá trị ban đầu", on: [
      on("field", "escape", { key: "Escape" })] },
    { keys: "Alt+R", does: "Chép bản đọc thô vào ô", on: [
      on("field", "raw", { code: "KeyR", alt: true })] },
    { keys: "Alt+N", does: "Ghi chú “ghi theo sổ gốc” cho ô", on: [
      on("field", "note", { code: "KeyN", alt: true }),
      on("note", "close-note", { key: "Escape" }, { code: "KeyN", alt: true })] },
  ] },
  { title: "Duyệt bản ghi — bản ghi", rows: [
    { keys: "Ctrl+Enter", does: "Xác nhận bản ghi và mở bản tiếp theo", on: [
      on("review", "confirm", { key: "Enter", ctrl: true })] },
    { keys: "Ctrl+S", does: "Lưu (chưa xác nhận)", on: [
      on("review", "save", { code: "KeyS", ctrl: true })] },
    { keys: "Alt+F", does: "Đánh dấu bản ghi (Không đọc được / Trang hư hỏng / Khác)", on: [
      on("review", "flag", { code: "KeyF", alt: true })] },
    { keys: "PageDown / Alt+→", does: "Bản ghi sau", on: [
      on("review", "next-record", { key: "PageDown" }, { key: "ArrowRight", alt: true })] },
    { keys: "PageUp / Alt+←", does: "Bản ghi trước", on: [
      on("review", "prev-record", { key: "PageUp" }, { key: "ArrowLeft", alt: true })] },
    { keys: "Alt+H", does: "Lịch sử sửa đổi", on: [
      on("review", "history", { code: "KeyH", alt: true })] },
    { keys: "Alt+A / Alt+J", does: "Người kiểm tra: duyệt / trả lại", on: [
      on("review", "approve", { code: "KeyA", alt: true }),
      on("review", "reject", { code: "KeyJ", alt: true })] },
  ] },
  { title: "Ảnh trang", rows: [
    { keys: "+ / −  (Alt+= / Alt+− khi đang gõ)", does: "Phóng to / thu nhỏ", on: [
      on("review", "zoom-in", { key: ["+", "="], ctrl: false, inText: "modifier" },
        { code: "NumpadAdd", ctrl: false, inText: "modifier" }),
      on("review", "zoom-out", { key: "-", ctrl: false, inText: "modifier" },
        { code: "NumpadSubtract", ctrl: false, inText: "modifier" })] },
    { keys: "0  (Alt+0)", does: "Vừa khung", on: [
      on("review", "fit", { key: "0", ctrl: false, inText: "modifier" },
        { code: "Digit0", ctrl: false, inText: "modifier" })] },
    // The mouse is the viewer's (viewer.js).
    { keys: "Con lăn chuột, kéo chuột", does: "Phóng to/thu nhỏ, di chuyển ảnh", on: [] },
  ] },
  { title: "Xung đột phiên bản", rows: [
    { keys: "Alt+1", does: "Lấy bản của người khác", on: [
      on("conflict", "theirs", { key: "1", alt: true })] },
    { keys: "Alt+2", does: "Áp dụng của họ + của tôi", on: [
      on("conflict", "merge", { key: "2", alt: true })] },
  ] },
  { title: "Đánh dấu", rows: [
    { keys: "1 / 2 / 3", does: "Không đọc được / Trang hư hỏng / Lý do khác", on: [
      on("flag", "reason-1", { key: "1" }),
      on("flag", "reason-2", { key: "2" }),
      on("flag", "reason-3", { key: "3" })] },
    { keys: "Enter", does: "Đánh dấu", on: [
      on("flag", "submit", { key: "Enter" })] },
  ] },
  { title: "Trả lại bản ghi", rows: [
    { keys: "Ctrl+Enter", does: "Trả lại", on: [
      on("reject", "submit", { key: "Enter", ctrl: true })] },
  ] },
];

/** Every binding, in table order: in a scope the first that matches wins. */
export const BINDINGS = SHORTCUTS.flatMap((g) => g.rows.flatMap((r) => r.on));

/** True when a key event comes from a place where the user types text. */
export function isTyping(ev) {
  const t = ev.target;
  if (!t || !t.tagName) return false;
  return t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && !["button", "checkbox", "radio"].includes(t.type)) ||
    t.isContentEditable;
}

const MODIFIERS = [["ctrl", "ctrlKey"], ["alt", "altKey"], ["shift", "shiftKey"], ["meta", "metaKey"]];

function oneOf(wanted, actual) {
  return Array.isArray(wanted) ? wanted.includes(actual) : wanted === actual;
}

export function comboMatches(combo, ev) {
  if ("key" in combo && !oneOf(combo.key, ev.key)) return false;
  if ("code" in combo && !oneOf(combo.code, ev.code)) return false;
  for (const [name, prop] of MODIFIERS) {
    if (name in combo && combo[name] !== Boolean(ev[prop])) return false;
  }
  if (combo.inText === "modifier" && isTyping(ev) && !ev.ctrlKey && !ev.altKey) return false;
  return true;
}

/** The action bound to this keydown in `scope`, or null. */
export function actionFor(ev, scope) {
  const hit = BINDINGS.find((b) => b.scope === scope && b.combos.some((c) => comboMatches(c, ev)));
  return hit ? hit.action : null;
}

export function actionsOf(scope) {
  return [...new Set(BINDINGS.filter((b) => b.scope === scope).map((b) => b.action))];
}

/**
 * The keydown listener of a scope: `handlers` has one function per action of the scope (checked
 * here, so a view and the table cannot drift apart); it gets the event and any extra arguments
 * of the listener, and the key's default is prevented unless it returns false (key not used).
 * The listener returns true when it used the key.
 */
export function keyHandler(scope, handlers) {
  const actions = actionsOf(scope);
  const missing = actions.filter((a) => !(a in handlers));
  const unknown = Object.keys(handlers).filter((a) => !actions.includes(a));
  if (missing.length || unknown.length) {
    throw new Error(`keymap "${scope}": no handler for [${missing}], not in the table: [${unknown}]`);
  }
  return (ev, ...args) => {
    const action = actionFor(ev, scope);
    if (!action || handlers[action](ev, ...args) === false) return false;
    ev.preventDefault();
    return true;
  };
}
