// Vietnamese labels for field groups, for the fields the register books print no label for, and
// for the issue codes the backend puts on a field (ocr_service/extract/normalise/base.py ISSUES and
// the extraction stages; tests/test_ui_issue_labels.py fails when one has no label here).

const GROUPS = {
  nks: "Người được đăng ký khai sinh",
  me: "Mẹ",
  cha: "Cha",
  nyc: "Người yêu cầu / người đi đăng ký",
  nkt: "Người chết",
  gbt: "Giấy báo tử",
  chong: "Chồng",
  vo: "Vợ",
  cm: "Cha / mẹ",
  nc: "Người con",
  nxn: "Người được xác nhận",
};

const PLAIN = {
  STT: "STT",
  noiDangKy: "Nơi đăng ký",
  noiCap: "Nơi cấp",
  loaiDangKy: "Loại đăng ký",
  loaiXacNhan: "Loại xác nhận",
  tinhTrangKetHon: "Tình trạng kết hôn",
  soDangKyNuocNgoai: "Số đăng ký ở nước ngoài",
  ngayDangKyNuocNgoai: "Ngày đăng ký ở nước ngoài",
  cqNuocNgoaiDaDangKy: "Cơ quan nước ngoài đã đăng ký",
  qgNuocNgoaiDaDangKy: "Quốc gia đã đăng ký",
  nksLoaiKhaiSinh: "Loại khai sinh",
  nksNoiSinhDVHC: "Nơi sinh (tỉnh, thành phố)",
};

const SUFFIXES = [
  [/LoaiCuTru$/, "Loại cư trú"],
  [/QuocTichKhacStr$/, "Quốc tịch khác (ghi bằng chữ)"],
  [/QuocTichStr$/, "Quốc tịch (ghi bằng chữ)"],
  [/LoaiMucDichSuDung$/, "Mục đích sử dụng"],
];

// Issue code → what the clerk reads under the field. Keys quoted, one per line: the test parses them.
const ISSUE_VI = {
  "empty": "Không đọc được gì",
  "ocr-digit-fixed": "Đã sửa chữ đọc nhầm thành số (O→0, l→1…)",
  "date-invalid": "Ngày không hợp lệ",
  "date-partial": "Ngày chưa đủ (chỉ có tháng/năm)",
  "date-incomplete": "Thiếu ngày: cần ghi đủ ngày, tháng, năm",
  "date-out-of-range": "Ngày ngoài khoảng (trước năm 1800 hoặc sau hôm nay)",
  "date-excel-serial": "Đã đổi số ngày kiểu Excel thành ngày",
  "date-compact": "Dãy số viết liền đã tách thành ngày, tháng, năm",
  "date-extra-text": "Đã bỏ chữ thừa trước ngày",
  "date-iso": "Năm ghi trước: đã đổi về ngày/tháng/năm",
  "date-lunar": "Có ghi âm lịch (tháng giêng, tháng chạp…)",
  "date-words-fuzzy": "Ngày ghi bằng chữ sai chính tả: đã khớp gần đúng",
  "date-words-ambiguous": "Ngày ghi bằng chữ có thể hiểu nhiều cách",
  "date-words-corrected": "Đã sửa chữ đọc nhầm trong ngày ghi bằng chữ",
  "year-2digit": "Năm chỉ có 2 chữ số: chọn năm đúng",
  "name-digits": "Họ tên có chữ số",
  "name-chars": "Họ tên có ký tự lạ",
  "name-single-word": "Họ tên chỉ có một chữ",
  "enum-unknown": "Không khớp mục nào trong danh mục",
  "enum-fuzzy": "Khớp gần đúng với danh mục",
  "enum-multiple": "Nhiều ô được đánh dấu",
  "enum-default": "Sổ không ghi: đã dùng giá trị mặc định",
  "enum-other": "Không khớp loại giấy tờ nào: ghi là Giấy tờ khác",
  "ethnicity-unknown": "Dân tộc không có trong danh mục",
  "ethnicity-fuzzy": "Dân tộc khớp gần đúng",
  "ethnicity-ambiguous": "Tên gọi chung của nhiều dân tộc: cần chọn",
  "ethnicity-special": "Dân tộc: giá trị đặc biệt (Người nước ngoài, Khác…)",
  "nationality-unknown": "Quốc tịch không có trong danh mục",
  "nationality-fuzzy": "Quốc tịch khớp gần đúng",
  "nationality-special": "Quốc tịch: giá trị đặc biệt (Không quốc tịch…)",
  "place-unit-unknown": "Không nhận ra đơn vị hành chính",
  "place-corrected": "Đã sửa tên địa danh đọc nhầm",
  "province-inferred": "Đoán tỉnh (sổ không ghi tỉnh/thành phố)",
  "province-historical": "Tên tỉnh cũ (giữ như sổ ghi)",
  "id-length": "Số giấy tờ tùy thân sai số chữ số",
  "id-chars": "Số giấy tờ tùy thân có ký tự không phải số",
  "id-province-code": "Ba số đầu không phải mã tỉnh",
  "so-year-derived": "Đã thêm năm theo ngày đăng ký",
  "so-year-missing": "Số thiếu năm đăng ký",
  "so-year-mismatch": "Năm trong số khác năm đăng ký",
  "so-year-2digit": "Năm 2 chữ số đã ghi đủ theo năm đăng ký",
  "so-extra-text": "Đã bỏ chữ thừa ngoài số/năm",
  "so-invalid": "Không tìm thấy số",
  "quyenso-cover-style": "Quyển số ghi kiểu bìa sổ: đã rút gọn",
  "quyenso-year-derived": "Đã thêm năm mở sổ",
  "quyenso-year-missing": "Quyển số thiếu năm",
  "quyenso-year-mismatch": "Năm của quyển số khác năm mở sổ",
  "quyenso-year-2digit": "Năm 2 chữ số đã ghi đủ theo năm mở sổ",
  "number-invalid": "Không phải số",
  "time-invalid": "Giờ không hợp lệ",
  "time-12h": "Đã đổi giờ sáng/chiều/tối sang cách ghi 24 giờ",
  "ditto": "Sổ ghi “như trên”: đã chép từ dòng trên",
  "ditto-unresolved": "Sổ ghi “như trên” ở dòng đầu trang: xem trang trước",
  "several-ticked": "Nhiều ô loại đăng ký được đánh dấu",
  "no-box-ticked": "Không ô nào được đánh dấu: đã dùng loại mặc định",
  "page-unreadable": "Trang ghi không rõ: lấy theo quyển sổ",
  "so-from-sequence": "Số đoán theo số trước cộng 1",
  "default-suggestion": "Sổ không ghi: gợi ý mặc định",
  "book-vote-outlier": "Khác quyển số của sổ: đã lấy theo sổ",
};

export function groupOf(code) {
  const m = /^[a-z]+/.exec(code);
  const prefix = m ? m[0] : "";
  return GROUPS[prefix] ? prefix : "";
}

export function groupLabel(prefix) {
  return GROUPS[prefix] || "Thông tin đăng ký";
}

export function labelFor(spec, code) {
  if (spec && spec.label_vi) return spec.label_vi;
  if (PLAIN[code]) return PLAIN[code];
  for (const [re, label] of SUFFIXES) if (re.test(code)) return label;
  return code;
}

/** The clerk's words for an issue code; a code without a label is shown as it is. */
export function issueLabel(code) {
  return Object.hasOwn(ISSUE_VI, code) ? ISSUE_VI[code] : code;
}
