// The keyboard shortcut list ("?" or F1), shared by the help overlay and docs/UI.md.

import { h, modal, isModalOpen } from "./dom.js";

export const SHORTCUTS = [
  ["Chung", [
    ["?  hoặc  F1", "Hiện danh sách phím tắt"],
    ["Esc", "Đóng hộp thoại / bỏ gợi ý / hoàn tác ô đang sửa"],
  ]],
  ["Danh sách sổ", [
    ["↑ / ↓", "Chọn sổ"],
    ["Enter", "Bắt đầu duyệt sổ đang chọn"],
  ]],
  ["Duyệt bản ghi — các ô", [
    ["Tab / Shift+Tab", "Ô sau / ô trước"],
    ["Enter", "Chấp nhận ô, sang ô cần kiểm tra tiếp theo"],
    ["↓ / ↑ rồi Enter", "Chọn gợi ý (dân tộc, quốc tịch, nơi chốn, danh mục)"],
    ["Ctrl+A rồi gõ", "Gõ lại cả ô"],
    ["Esc", "Trả ô về giá trị ban đầu"],
    ["Alt+R", "Chép bản đọc thô vào ô"],
    ["Alt+N", "Ghi chú “ghi theo sổ gốc” cho ô"],
  ]],
  ["Duyệt bản ghi — bản ghi", [
    ["Ctrl+Enter", "Xác nhận bản ghi và mở bản tiếp theo"],
    ["Ctrl+S", "Lưu (chưa xác nhận)"],
    ["Alt+F", "Đánh dấu bản ghi (Không đọc được / Trang hư hỏng / Khác)"],
    ["PageDown / Alt+→", "Bản ghi sau"],
    ["PageUp / Alt+←", "Bản ghi trước"],
    ["Alt+H", "Lịch sử sửa đổi"],
    ["Alt+A / Alt+J", "Người kiểm tra: duyệt / trả lại"],
  ]],
  ["Ảnh trang", [
    ["+ / −  (Alt+= / Alt+− khi đang gõ)", "Phóng to / thu nhỏ"],
    ["0  (Alt+0)", "Vừa khung"],
    ["Con lăn chuột, kéo chuột", "Phóng to/thu nhỏ, di chuyển ảnh"],
  ]],
  ["Xung đột phiên bản", [
    ["Alt+1", "Lấy bản của người khác"],
    ["Alt+2", "Áp dụng của họ + của tôi"],
  ]],
  ["Đánh dấu", [
    ["1 / 2 / 3", "Không đọc được / Trang hư hỏng / Lý do khác"],
    ["Enter", "Đánh dấu"],
  ]],
];

export function showShortcuts() {
  if (isModalOpen()) return;
  const body = h("div.shortcuts", SHORTCUTS.map(([group, items]) => h("section",
    h("h3", group),
    h("dl", items.map(([k, v]) => [h("dt", h("kbd", k)), h("dd", v)])))));
  const close = h("button.primary", { type: "button", onclick: () => dialog.close() }, "Đóng (Esc)");
  const dialog = modal(h("div", body, h("div.actions", close)), { title: "Phím tắt", wide: true });
  dialog.el.classList.add("shortcut-help");
}
