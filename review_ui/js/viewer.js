// Page viewer: the scan fitted to its pane, zoom (buttons, keys, wheel), pan by drag, field boxes.

import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const MIN_SCALE = 0.05;
const MAX_SCALE = 8;

export class PageViewer {
  constructor() {
    this.img = h("img.page-image", { alt: "Ảnh trang sổ", draggable: false });
    this.svg = document.createElementNS(SVG, "svg");
    this.svg.classList.add("boxes");
    this.stage = h("div.stage", this.img, this.svg);
    this.label = h("span.viewer-page");
    this.el = h("div.viewer", { tabindex: "-1", "aria-label": "Ảnh trang sổ" },
      this.stage,
      h("div.viewer-tools",
        h("button", { type: "button", title: "Phóng to (+)", onclick: () => this.zoomBy(1.25) }, "+"),
        h("button", { type: "button", title: "Thu nhỏ (−)", onclick: () => this.zoomBy(0.8) }, "−"),
        h("button", { type: "button", title: "Vừa khung (0)", onclick: () => this.fit() }, "Vừa khung"),
        this.label));
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.src = null;
    this.boxes = [];
    this.active = null;
    this.onBoxClick = null;
    this.loaded = Promise.resolve(false);
    this.bindPointer();
    this.resizeObserver = new ResizeObserver(() => {
      if (this.fitted) this.fit();
    });
    this.resizeObserver.observe(this.el);
  }

  destroy() {
    this.resizeObserver.disconnect();
  }

  /** Show an image; resolves true once it is decoded (false on error). */
  setImage(src, pageLabel) {
    this.label.textContent = pageLabel || "";
    if (src === this.src) return this.loaded;
    this.src = src;
    this.el.classList.add("loading");
    this.loaded = new Promise((resolve) => {
      this.img.onload = () => {
        this.el.classList.remove("loading", "failed");
        const w = this.img.naturalWidth;
        const hgt = this.img.naturalHeight;
        this.svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
        this.svg.setAttribute("width", w);
        this.svg.setAttribute("height", hgt);
        this.stage.style.width = `${w}px`;
        this.stage.style.height = `${hgt}px`;
        this.fit();
        this.drawBoxes();
        resolve(true);
      };
      this.img.onerror = () => {
        this.el.classList.remove("loading");
        this.el.classList.add("failed");
        resolve(false);
      };
    });
    this.img.src = src;
    return this.loaded;
  }

  /** boxes: [{code, bbox:[x0,y0,x1,y1], band, edited}] in image pixels. */
  setBoxes(boxes) {
    this.boxes = boxes;
    this.drawBoxes();
  }

  drawBoxes() {
    this.svg.replaceChildren();
    for (const b of this.boxes) {
      const [x0, y0, x1, y1] = b.bbox;
      const r = document.createElementNS(SVG, "rect");
      r.setAttribute("x", x0);
      r.setAttribute("y", y0);
      r.setAttribute("width", Math.max(1, x1 - x0));
      r.setAttribute("height", Math.max(1, y1 - y0));
      r.setAttribute("class", `box band-${b.band || "none"}${b.edited ? " edited" : ""}${b.code === this.active ? " active" : ""}`);
      r.dataset.code = b.code;
      const title = document.createElementNS(SVG, "title");
      title.textContent = b.label || b.code;
      r.append(title);
      r.addEventListener("click", (ev) => {
        ev.stopPropagation();
        if (this.onBoxClick) this.onBoxClick(b.code);
      });
      this.svg.append(r);
    }
  }

  /** Highlight a field's box and bring it into view (zooming in when it is too small to read). */
  setActive(code) {
    this.active = code;
    for (const r of this.svg.querySelectorAll("rect")) r.classList.toggle("active", r.dataset.code === code);
    const b = this.boxes.find((x) => x.code === code);
    if (b) this.reveal(b.bbox);
  }

  reveal(bbox) {
    const vw = this.el.clientWidth;
    const vh = this.el.clientHeight;
    if (!vw || !vh) return;
    const [x0, y0, x1, y1] = bbox;
    const s = this.scale;
    const inside = x0 * s + this.tx >= 0 && x1 * s + this.tx <= vw && y0 * s + this.ty >= 0 && y1 * s + this.ty <= vh;
    if (inside) return;
    this.tx = vw / 2 - ((x0 + x1) / 2) * s;
    this.ty = vh / 2 - ((y0 + y1) / 2) * s;
    this.fitted = false;
    this.apply();
  }

  fit() {
    const w = this.img.naturalWidth;
    const hgt = this.img.naturalHeight;
    const vw = this.el.clientWidth;
    const vh = this.el.clientHeight;
    if (!w || !hgt || !vw || !vh) return;
    // Fit the page width (the usual reading mode) but never leave the page taller than 3 screens.
    this.scale = Math.max(Math.min(vw / w, (3 * vh) / hgt), Math.min(vw / w, vh / hgt));
    this.tx = (vw - w * this.scale) / 2;
    this.ty = 0;
    this.fitted = true;
    this.apply();
    if (this.active) {
      const b = this.boxes.find((x) => x.code === this.active);
      if (b) this.reveal(b.bbox);
    }
  }

  zoomBy(factor, cx, cy) {
    const vw = this.el.clientWidth;
    const vh = this.el.clientHeight;
    if (cx === undefined) {
      cx = vw / 2;
      cy = vh / 2;
    }
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const k = s / this.scale;
    this.tx = cx - (cx - this.tx) * k;
    this.ty = cy - (cy - this.ty) * k;
    this.scale = s;
    this.fitted = false;
    this.apply();
  }

  apply() {
    this.stage.style.transform = `translate(${this.tx}px, ${this.ty}px) scale(${this.scale})`;
    this.el.dataset.scale = this.scale.toFixed(3);
  }

  bindPointer() {
    this.el.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const rect = this.el.getBoundingClientRect();
      if (ev.shiftKey && !ev.ctrlKey) {
        // Shift+wheel scrolls the page image instead of zooming.
        this.tx -= ev.deltaX || 0;
        this.ty -= ev.deltaY;
        this.fitted = false;
        this.apply();
      } else {
        this.zoomBy(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - rect.left, ev.clientY - rect.top);
      }
    }, { passive: false });
    let drag = null;
    this.el.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0 || ev.target.closest(".viewer-tools")) return;
      drag = { x: ev.clientX, y: ev.clientY, tx: this.tx, ty: this.ty, moved: false };
      this.el.setPointerCapture(ev.pointerId);
    });
    this.el.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x;
      const dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (!drag.moved) return;
      this.el.classList.add("dragging");
      this.tx = drag.tx + dx;
      this.ty = drag.ty + dy;
      this.fitted = false;
      this.apply();
    });
    const end = () => {
      drag = null;
      this.el.classList.remove("dragging");
    };
    this.el.addEventListener("pointerup", end);
    this.el.addEventListener("pointercancel", end);
  }
}

/** Draw the bbox region of `img` (with a margin) into `canvas`, scaled to the canvas box. */
export function drawCrop(canvas, img, bbox, { maxWidth = 520, maxHeight = 110, margin = 8 } = {}) {
  const ctx = canvas.getContext("2d");
  if (!img || !img.naturalWidth || !bbox) {
    canvas.width = 0;
    canvas.height = 0;
    return false;
  }
  const x0 = Math.max(0, bbox[0] - margin);
  const y0 = Math.max(0, bbox[1] - margin);
  const x1 = Math.min(img.naturalWidth, bbox[2] + margin);
  const y1 = Math.min(img.naturalHeight, bbox[3] + margin);
  const w = Math.max(1, x1 - x0);
  const hgt = Math.max(1, y1 - y0);
  const k = Math.min(maxWidth / w, maxHeight / hgt, 4);
  canvas.width = Math.round(w * k);
  canvas.height = Math.round(hgt * k);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(img, x0, y0, w, hgt, 0, 0, canvas.width, canvas.height);
  return true;
}
