// Vietnamese labels for field groups and for the fields the register books print no label for.

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
