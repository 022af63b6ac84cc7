// Register specs (GET /registers/{slug}), cached per tab: labels, field order, enums, lists.

import { api } from "./api.js";

const cache = new Map();
const FALLBACK_NAMES = {
  "khai-sinh": "Sổ đăng ký khai sinh",
  "khai-tu": "Sổ đăng ký khai tử",
  "ket-hon": "Sổ đăng ký kết hôn",
  "nhan-cha-me-con": "Sổ đăng ký nhận cha, mẹ, con",
  "xac-nhan-hon-nhan": "Sổ cấp giấy xác nhận tình trạng hôn nhân",
};

/** The register types a book can be (models/registers.py REGISTER_SLUGS), in that order. */
export const REGISTERS = Object.keys(FALLBACK_NAMES);

export function registerSpec(slug) {
  if (!cache.has(slug)) {
    cache.set(slug, api.register(slug).catch(() => ({
      slug, name_vi: FALLBACK_NAMES[slug] || slug, fields: [],
    })));
  }
  return cache.get(slug);
}

export async function registerName(slug) {
  const spec = await registerSpec(slug);
  return spec.name_vi || FALLBACK_NAMES[slug] || slug;
}

/** Suggestion source for a field: a /suggest kind, or the enum labels. */
export function suggestKind(fieldSpec, code) {
  if (!fieldSpec) return null;
  if (fieldSpec.list === "ethnic_groups" || /DanToc$/.test(code)) return "ethnicity";
  if (fieldSpec.list === "countries" || /QuocTich(Khac)?$/.test(code)) return "nationality";
  if (fieldSpec.type === "place") return "place";
  return null;
}

/** The label to show: the book's own wording when known, else the code. */
export function fieldLabel(fieldSpec, code) {
  return (fieldSpec && fieldSpec.label_vi) || code;
}
