// Words and numbers of uploads and exports, shared by upload.js and book.js (no DOM: tests/js).

/** What went wrong with one file, in Vietnamese first; the server's own words follow. */
export const UPLOAD_ERRORS_VI = {
  too_large: "Tệp quá lớn",
  unsupported_type: "Sai loại tệp (chỉ nhận PDF, TIFF, JPEG, PNG)",
  encrypted: "Tệp PDF có mật khẩu",
  bad_input: "Tệp hoặc thông tin sổ không hợp lệ",
  bad_layout: "Tệp bố cục cột không hợp lệ",
  empty_file: "Tệp rỗng",
  damaged_pdf: "Tệp PDF hỏng",
  damaged_image: "Ảnh hỏng",
  forbidden: "Không được phép",
  network: "Không kết nối được máy chủ",
};

export function uploadErrorText(err) {
  const label = UPLOAD_ERRORS_VI[err.code] || `Lỗi ${err.status || ""}`.trim();
  return err.message && err.message !== label ? `${label}: ${err.message}` : label;
}

/** "01/2019" → 2019: the year a quyển số carries, or null. */
export function yearOfBook(book) {
  const m = /(?:^|\D)(1[89]\d\d|20\d\d)\s*$/.exec(String(book || "").trim());
  return m ? Number(m[1]) : null;
}

export function fmtSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

/** Export formats (ocr_service/export/from_db.py FORMATS), as the clerk knows them. */
export const EXPORT_FORMATS = [
  { format: "xlsx", label: "Excel Bộ Tư pháp (.xlsx)" },
  { format: "zip", label: "Bộ hồ sơ: PDF từng bản ghi và Excel (.zip)" },
  { format: "json", label: "JSON" },
  { format: "csv", label: "CSV" },
  { format: "pagexml", label: "PAGE XML (.zip)" },
  { format: "training", label: "Dữ liệu huấn luyện (.zip)" },
];
export const EXPORT_STATUS_VI = { queued: "Đang chờ", running: "Đang xuất", done: "Xong", failed: "Lỗi" };

export function formatLabel(format) {
  const f = EXPORT_FORMATS.find((x) => x.format === format);
  return f ? f.label : format;
}

/** One export job's state in words: "Đang xuất 120/800 bản ghi", "Lỗi: …". */
export function exportStatusText(job) {
  const label = EXPORT_STATUS_VI[job.status] || job.status;
  if (job.status === "running" && job.records_total) return `${label} ${job.records_done}/${job.records_total} bản ghi`;
  // PAGE XML holds one file per page read, not records.
  if (job.status === "done") return `${label} · ${job.records_done} ${job.format === "pagexml" ? "trang" : "bản ghi"}`;
  if (job.status === "failed") return `${label}: ${job.error || "không rõ lý do"}`;
  return label;
}
