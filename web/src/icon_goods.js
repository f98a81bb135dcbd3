// Icon shapes for what is carried but not worn: coins, food, potions,
// materials, keys, and the sack every unknown item is drawn as.

import {
  OUTLINE, PALETTES, accent_palette, ball, circle, fill, line, palette, polygon, rod, rounded, shade,
} from "./icon_paint.js";

const HIGHLIGHT = "rgba(255,255,255,0.5)";

function coin_edge(ctx, p, x, y, rx, ry, h) {
  fill(ctx, p.dark, () => {
    ctx.moveTo(x - rx, y);
    ctx.lineTo(x - rx, y + h);
    ctx.ellipse(x, y + h, rx, ry, 0, Math.PI, 0, true);
    ctx.lineTo(x + rx, y);
  }, 1);
  fill(ctx, shade(ctx, p, x - rx, y - ry, x + rx, y + ry), () => ctx.ellipse(x, y, rx, ry, 0, 0, Math.PI * 2), 1);
}

function coins(ctx, look) {
  const p = palette(look.material);
  for (let i = 0; i < 4; i++) coin_edge(ctx, p, 11.5, 25 - i * 3.4, 7.5, 3.4, 2);
  fill(ctx, shade(ctx, p, 17, 13, 29, 27), () => circle(ctx, 22.5, 20, 6.5));
  ctx.beginPath();
  circle(ctx, 22.5, 20, 4.3);
  ctx.lineWidth = 0.9;
  ctx.strokeStyle = p.dark;
  ctx.stroke();
  line(ctx, HIGHLIGHT, 1, [19.5, 17], [21, 15.5]);
}

function bread(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 4, 8, 28, 27), () => {
    ctx.moveTo(4, 21.5);
    ctx.bezierCurveTo(3.5, 7, 28.5, 7, 28, 21.5);
    ctx.quadraticCurveTo(28, 26.5, 23.5, 26.5);
    ctx.lineTo(8.5, 26.5);
    ctx.quadraticCurveTo(4, 26.5, 4, 21.5);
  });
  for (const x of [10, 15.5, 21]) line(ctx, p.light, 1.6, [x - 1.5, 17], [x + 2, 12.5]);
  line(ctx, p.dark, 1, [6, 23], [26, 23]);
}

/** A fish body from head x0 to tail x1 along y; the caller adds what makes it special. */
function fish_body(ctx, p, x0, x1, y, depth) {
  const g = shade(ctx, p, x0, y - depth, x1, y + depth);
  fill(ctx, g, () => polygon(ctx, [x1 - 1, y], [x1 + 5, y - 6.5], [x1 + 3.5, y], [x1 + 5, y + 6.5]), 1.1);
  fill(ctx, g, () => {
    ctx.moveTo(x0, y + 0.5);
    ctx.quadraticCurveTo(x0 + (x1 - x0) * 0.45, y - depth * 2, x1, y);
    ctx.quadraticCurveTo(x0 + (x1 - x0) * 0.45, y + depth * 1.7, x0, y + 0.5);
  });
  line(ctx, p.dark, 0.9, [x0 + 4.5, y - depth * 0.6], [x0 + 3.5, y + 0.5], [x0 + 4.5, y + depth * 0.7]);
  fill(ctx, "#0c0a08", () => circle(ctx, x0 + 2.4, y - 1, 0.9), 0);
}

function grill_marks(ctx, look, x0, x1, y) {
  if (look.material !== "cooked") return;
  for (let x = x0; x <= x1; x += 4.5) line(ctx, "rgba(60,25,5,0.7)", 1.1, [x, y + 3], [x + 3, y - 3]);
}

function fish(ctx, look) {
  const p = palette(look.material);
  fish_body(ctx, p, 3, 23, 16, 6);
  grill_marks(ctx, look, 9, 19, 16);
}

function swordfish(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 12, 4, 18, 12), () => polygon(ctx, [12, 12], [15, 4], [19, 11]), 1);
  fish_body(ctx, p, 8, 24, 17, 5);
  fill(ctx, p.dark, () => polygon(ctx, [8.5, 15.6], [0.8, 16.6], [8.5, 17.8]), 0.9);
  grill_marks(ctx, look, 13, 20, 17);
}

function shrimp(ctx, look) {
  const p = look.material === "cooked" ? PALETTES.orange : palette(look.material);
  const a0 = Math.PI * 0.95;
  const a1 = Math.PI * 2.3;
  ctx.beginPath();
  ctx.arc(16, 16, 8, a0, a1);
  ctx.lineCap = "round";
  ctx.lineWidth = 9;
  ctx.strokeStyle = OUTLINE;
  ctx.stroke();
  ctx.lineWidth = 6.6;
  ctx.strokeStyle = shade(ctx, p, 8, 8, 24, 24);
  ctx.stroke();
  ctx.lineCap = "butt";
  for (let i = 1; i < 6; i++) {
    const a = a0 + ((a1 - a0) * i) / 6;
    line(ctx, p.dark, 0.9, [16 + Math.cos(a) * 4.6, 16 + Math.sin(a) * 4.6], [16 + Math.cos(a) * 11.4, 16 + Math.sin(a) * 11.4]);
  }
  const [tx, ty] = [16 + Math.cos(a1) * 8, 16 + Math.sin(a1) * 8];
  fill(ctx, p.base, () => polygon(ctx, [tx, ty], [tx - 6, ty + 4], [tx - 4.5, ty - 2]), 1);
  const [hx, hy] = [16 + Math.cos(a0) * 8, 16 + Math.sin(a0) * 8];
  fill(ctx, "#0c0a08", () => circle(ctx, hx + 1, hy - 1.5, 0.9), 0);
  line(ctx, p.dark, 0.8, [hx, hy - 2], [hx + 5, hy - 12], [hx + 13, hy - 13]);
}

function lobster(ctx, look) {
  const p = look.material === "cooked" ? PALETTES.dragon : palette(look.material);
  const g = shade(ctx, p, 6, 4, 26, 30);
  for (const side of [-1, 1]) {
    line(ctx, OUTLINE, 2.6, [16 + side * 3, 13], [16 + side * 7, 10], [16 + side * 8, 8]);
    line(ctx, p.base, 1.2, [16 + side * 3, 13], [16 + side * 7, 10], [16 + side * 8, 8]);
    fill(ctx, g, () => ctx.ellipse(16 + side * 9, 6, 3.6, 4.8, side * 0.4, 0, Math.PI * 2), 1.1);
    line(ctx, OUTLINE, 1.1, [16 + side * 9.5, 1.8], [16 + side * 9, 6.5]);
    for (const y of [17, 20.5]) line(ctx, OUTLINE, 1, [16 + side * 3.5, y], [16 + side * 8, y + 1.5]);
  }
  fill(ctx, g, () => polygon(ctx, [16, 25], [11, 30], [21, 30]), 1);
  fill(ctx, g, () => ctx.ellipse(16, 18, 5, 9, 0, 0, Math.PI * 2));
  for (const y of [19, 22, 25]) line(ctx, p.dark, 0.9, [12, y], [20, y]);
  line(ctx, HIGHLIGHT, 1, [14, 12], [14, 17]);
}

function meat(ctx, look) {
  const bone = PALETTES.bone;
  rod(ctx, bone.base, 3, () => { ctx.moveTo(18, 16); ctx.lineTo(26, 26); });
  for (const [x, y] of [[25.5, 28], [28, 25.5]]) fill(ctx, ball(ctx, bone, x, y, 2.2), () => circle(ctx, x, y, 2.2), 1);
  fill(ctx, shade(ctx, palette(look.material), 4, 4, 22, 22), () => ctx.ellipse(13, 13, 10, 8, Math.PI / 4, 0, Math.PI * 2));
  line(ctx, HIGHLIGHT, 1.2, [7, 12], [10, 7.5]);
}

function potion(ctx, look) {
  const liquid = accent_palette(look);
  const glass = PALETTES.glass;
  fill(ctx, "rgba(200,225,240,0.35)", () => { rounded(ctx, 12.5, 6, 7, 8, 1); circle(ctx, 16, 21, 8.5); });
  ctx.save();
  ctx.beginPath();
  circle(ctx, 16, 21, 8.5);
  ctx.clip();
  fill(ctx, ball(ctx, liquid, 14, 21, 10), () => ctx.rect(6, 17, 20, 14), 0);
  ctx.restore();
  ctx.beginPath();
  circle(ctx, 16, 21, 8.5);
  ctx.lineWidth = 1.3;
  ctx.strokeStyle = OUTLINE;
  ctx.stroke();
  fill(ctx, shade(ctx, PALETTES.maple, 12, 2, 20, 7), () => rounded(ctx, 12, 2.5, 8, 5, 1.2), 1);
  line(ctx, glass.light, 1.2, [10.5, 19], [12, 15.5]);
}

function one_bone(ctx, p, x0, y0, x1, y1) {
  const [dx, dy] = [(y1 - y0) * 0.09, (x0 - x1) * 0.09];
  rod(ctx, shade(ctx, p, x0, y0, x1, y1), 3.2, () => { ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); });
  for (const [x, y] of [[x0, y0], [x1, y1]]) {
    for (const s of [-1, 1]) fill(ctx, ball(ctx, p, x + s * dx * 2, y + s * dy * 2, 2.6), () => circle(ctx, x + s * dx * 2, y + s * dy * 2, 2.6), 1);
  }
}

function bones(ctx, look) {
  const p = palette(look.material);
  one_bone(ctx, p, 7, 25, 25, 7);
  one_bone(ctx, p, 7, 7, 25, 25);
}

function logs(ctx, look) {
  const p = palette(look.material);
  for (const [x, y] of [[3, 20], [9, 13], [5, 6]]) {
    fill(ctx, shade(ctx, p, x, y, x, y + 7), () => rounded(ctx, x, y, 20, 7, 3));
    line(ctx, p.dark, 0.8, [x + 4, y + 2.5], [x + 13, y + 2.5]);
    fill(ctx, p.light, () => ctx.ellipse(x + 20, y + 3.5, 3, 3.5, 0, 0, Math.PI * 2), 1.1);
    ctx.beginPath();
    ctx.ellipse(x + 20, y + 3.5, 1.4, 1.7, 0, 0, Math.PI * 2);
    ctx.lineWidth = 0.7;
    ctx.strokeStyle = p.base;
    ctx.stroke();
  }
}

function ore(ctx, look) {
  const rock = look.material === "coal" ? PALETTES.coal : PALETTES.grey;
  fill(ctx, shade(ctx, rock, 4, 6, 28, 28), () =>
    polygon(ctx, [5, 20], [8, 10], [15, 6], [24, 8], [28, 16], [26, 25], [16, 28], [8, 27]));
  const fleck = palette(look.material);
  for (const [x, y, r] of [[12, 13, 2.2], [20, 12, 1.7], [17, 20, 2.4], [10, 21, 1.5], [23, 19, 1.4]]) {
    fill(ctx, ball(ctx, fleck, x, y, r), () => polygon(ctx, [x - r, y], [x, y - r], [x + r, y + 0.3], [x + 0.3, y + r]), 0.6);
  }
  line(ctx, HIGHLIGHT, 1, [8, 12], [14, 7.5]);
}

function bar(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 4, 20, 28, 28), () => polygon(ctx, [3, 20], [25, 20], [29, 26], [7, 26]));
  fill(ctx, p.light, () => polygon(ctx, [8, 11], [24, 11], [25, 20], [3, 20]));
  fill(ctx, shade(ctx, p, 25, 11, 29, 26), () => polygon(ctx, [24, 11], [28, 17], [29, 26], [25, 20]));
}

function gem(ctx, look) {
  const p = accent_palette(look);
  fill(ctx, shade(ctx, p, 6, 8, 26, 28), () => polygon(ctx, [10, 8], [22, 8], [28, 14], [16, 28], [4, 14]));
  line(ctx, p.light, 0.9, [4, 14], [28, 14]);
  line(ctx, p.dark, 0.9, [10, 8], [13, 14], [16, 28], [19, 14], [22, 8]);
  fill(ctx, HIGHLIGHT, () => polygon(ctx, [11, 9.5], [14, 9.5], [12.5, 12.5]), 0);
}

function key(ctx, look) {
  const p = palette(look.material);
  ctx.beginPath();
  circle(ctx, 9.5, 9.5, 6);
  circle(ctx, 9.5, 9.5, 3);
  ctx.fillStyle = shade(ctx, p, 4, 4, 15, 15);
  ctx.fill("evenodd");
  ctx.lineWidth = 1.2;
  ctx.strokeStyle = OUTLINE;
  ctx.stroke();
  rod(ctx, shade(ctx, p, 12, 12, 27, 27), 2.6, () => { ctx.moveTo(13.5, 13.5); ctx.lineTo(27, 27); });
  for (const d of [0, 4.5]) fill(ctx, p.base, () => polygon(ctx, [21 + d, 21 + d], [24.5 + d, 17.5 + d], [26 + d, 19 + d], [22.5 + d, 22.5 + d]), 1);
}

function bag(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 5, 9, 27, 29), () => {
    ctx.moveTo(12.5, 11);
    ctx.bezierCurveTo(2, 15, 3, 29, 16, 29);
    ctx.bezierCurveTo(29, 29, 30, 15, 19.5, 11);
    ctx.closePath();
  });
  fill(ctx, shade(ctx, p, 10, 3, 22, 10), () => polygon(ctx, [12.5, 11], [9.5, 4], [14, 6.5], [16, 3.5], [18, 6.5], [22.5, 4], [19.5, 11]), 1.1);
  fill(ctx, PALETTES.wood.dark, () => rounded(ctx, 11.5, 9.6, 9, 2.6, 1.2), 1);
  line(ctx, HIGHLIGHT, 1.2, [9, 18], [11, 14.5]);
}

export const GOODS_SHAPES = {
  coins, bread, fish, swordfish, shrimp, lobster, meat, potion, bones, logs, ore, bar, gem, key, bag,
};
