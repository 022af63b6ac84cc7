// Register specs (GET /registers/{slug}), cached per tab: labels, field order, enums, lists.

import { api } from "./api.js";

const cache = new Map();
/** Each register type's name (registers.json `name_vi`), the one list every screen shows. */
export const REGISTER_NAMES = {
  "khai-sinh": "Khai sinh",
  "khai-tu": "Khai tử",
  "ket-hon": "Kết hôn",
  "nhan-cha-me-con": "Nhận cha, mẹ, con",
  "xac-nhan-hon-nhan": "Xác nhận tình trạng hôn nhân",
};

/** The register types a book can be (models/registers.py REGISTER_SLUGS), in that order. */
export const REGISTERS = Object.keys(REGISTER_NAMES);

export function registerSpec(slug) {
  if (!cache.has(slug)) {
    cache.set(slug, api.register(slug).catch(() => ({
      slug, name_vi: REGISTER_NAMES[slug] || slug, fields: [],
    })));
  }
  return cache.get(slug);
}

export async function registerName(slug) {
  const spec = await registerSpec(slug);
  return spec.name_vi || REGISTER_NAMES[slug] || slug;
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
