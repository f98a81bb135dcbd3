// Colours and brushes shared by the icon shapes.  Every shape draws in a
// 32x32 box with a dark outline, lit from the top left.

/** Each material as {light, base, dark}; cloth colours double as gem and potion colours. */
export const PALETTES = Object.freeze({
  bronze: { light: "#f0b27a", base: "#b9773d", dark: "#6b3f1c" },
  iron: { light: "#d6d9dc", base: "#8e9399", dark: "#474b51" },
  steel: { light: "#f4f7fa", base: "#b9c2cb", dark: "#67717c" },
  black: { light: "#75757f", base: "#3b3b44", dark: "#15151a" },
  mithril: { light: "#b4c2ff", base: "#5f73d0", dark: "#28357a" },
  adamant: { light: "#a6e3a8", base: "#43945a", dark: "#1c4a2a" },
  rune: { light: "#a8f0f5", base: "#35a9c0", dark: "#165867" },
  dragon: { light: "#ff9a8a", base: "#c7322a", dark: "#6a1410" },
  gold: { light: "#fff3a6", base: "#e2b22f", dark: "#8a6410" },
  silver: { light: "#ffffff", base: "#c9ced6", dark: "#78808c" },
  copper: { light: "#ffb078", base: "#d0702e", dark: "#7a3a12" },
  tin: { light: "#f2f2ee", base: "#b8b8b0", dark: "#6c6c66" },
  coal: { light: "#5a5a5a", base: "#2a2a2c", dark: "#0c0c0e" },
  wood: { light: "#dcaa6a", base: "#a06c36", dark: "#5a3818", grain: true },
  oak: { light: "#e6c08a", base: "#b8884e", dark: "#6e4e26", grain: true },
  willow: { light: "#d8cf8e", base: "#a89a56", dark: "#5e5428", grain: true },
  maple: { light: "#e8a870", base: "#b8683a", dark: "#6a3418", grain: true },
  yew: { light: "#c88a6a", base: "#8a4a32", dark: "#4a2014", grain: true },
  leather: { light: "#c9925e", base: "#8c5a2c", dark: "#4a2c12" },
  cooked: { light: "#f3c27a", base: "#c57c3a", dark: "#6e3c16" },
  raw: { light: "#d8e4ec", base: "#8aa2b4", dark: "#44586a" },
  burnt: { light: "#5a4a40", base: "#2e2420", dark: "#100c0a" },
  baked: { light: "#f6d08c", base: "#cf8c42", dark: "#7a4818" },
  bone: { light: "#fffbea", base: "#e6dcc0", dark: "#988c6e" },
  glass: { light: "#eef8ff", base: "#a8c8dc", dark: "#587088" },
  red: { light: "#ff8a7a", base: "#d0342c", dark: "#6e1210" },
  blue: { light: "#8ac4ff", base: "#2f6fd0", dark: "#122e6e" },
  green: { light: "#9cf09a", base: "#2fa24a", dark: "#0f5022" },
  yellow: { light: "#fff59a", base: "#e8c82a", dark: "#8a700a" },
  purple: { light: "#d8a4ff", base: "#8a40d0", dark: "#401670" },
  orange: { light: "#ffc080", base: "#ec7a1c", dark: "#7e3a06" },
  pink: { light: "#ffc4dc", base: "#e46a9c", dark: "#7e2a4c" },
  white: { light: "#ffffff", base: "#e4e8ee", dark: "#8e96a2" },
  grey: { light: "#c8c8c8", base: "#7e7e82", dark: "#3c3c40" },
  brown: { light: "#b88a62", base: "#7a4e2c", dark: "#3c2410" },
});

export const OUTLINE = "#120e0a";
export const GRIP = { light: "#8a5a34", base: "#5c3a1e", dark: "#2e1c0c" };
const GEM_COLOURS = ["red", "blue", "green", "purple", "yellow", "orange", "pink"];

export function palette(name) {
  return PALETTES[name] || PALETTES.iron;
}

/** The gem or liquid colour: the item's accent, else one picked by its name (stable). */
export function accent_palette(look, fallback_text = "") {
  if (look.accent) return palette(look.accent);
  let h = 0;
  for (const ch of String(fallback_text || look.key)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return palette(GEM_COLOURS[h % GEM_COLOURS.length]);
}

/** A light-to-dark gradient from (x0, y0) to (x1, y1). */
export function shade(ctx, p, x0, y0, x1, y1) {
  const g = ctx.createLinearGradient(x0, y0, x1, y1);
  g.addColorStop(0, p.light);
  g.addColorStop(0.45, p.base);
  g.addColorStop(1, p.dark);
  return g;
}

/** A ball lit from the top left. */
export function ball(ctx, p, x, y, r) {
  const g = ctx.createRadialGradient(x - r / 3, y - r / 3, r / 8, x, y, r);
  g.addColorStop(0, p.light);
  g.addColorStop(0.6, p.base);
  g.addColorStop(1, p.dark);
  return g;
}

/** Fill the path that `trace()` draws, then outline it. */
export function fill(ctx, style, trace, outline = 1.4) {
  ctx.beginPath();
  trace();
  ctx.fillStyle = style;
  ctx.fill();
  if (outline) {
    ctx.lineWidth = outline;
    ctx.strokeStyle = OUTLINE;
    ctx.stroke();
  }
}

/** A stroked polyline through [x, y] points. */
export function line(ctx, colour, width, ...points) {
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.lineWidth = width;
  ctx.strokeStyle = colour;
  ctx.stroke();
}

/** A thick outlined stroke (bow limbs, hafts): the outline first, then the colour inside it. */
export function rod(ctx, style, width, trace) {
  for (const [colour, w] of [[OUTLINE, width + 2], [style, width]]) {
    ctx.beginPath();
    trace();
    ctx.lineWidth = w;
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
}

export function circle(ctx, x, y, r) {
  ctx.moveTo(x + r, y);
  ctx.arc(x, y, r, 0, Math.PI * 2);
}

export function rounded(ctx, x, y, w, h, r) {
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

export function polygon(ctx, ...points) {
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
}

/** Draw `body()` with the box turned so that local "up" points to the top-right corner. */
export function diagonal(ctx, body) {
  ctx.save();
  ctx.translate(16, 16);
  ctx.rotate(Math.PI / 4);
  body();
  ctx.restore();
}
