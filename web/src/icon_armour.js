// Icon shapes for what is worn: shields, helms, body and leg armour, gloves,
// boots, capes and jewellery.

import {
  GRIP, OUTLINE, PALETTES, accent_palette, ball, circle, fill, line, palette, polygon, rounded, shade,
} from "./icon_paint.js";

const HIGHLIGHT = "rgba(255,255,255,0.45)";
const SHADOW = "rgba(0,0,0,0.35)";

function shield(ctx, look) {
  const p = palette(look.material);
  const rim = p.grain ? PALETTES.iron : p;
  fill(ctx, shade(ctx, p, 4, 4, 28, 28), () => circle(ctx, 16, 16, 13));
  if (p.grain) {
    ctx.save();
    ctx.beginPath();
    circle(ctx, 16, 16, 13);
    ctx.clip();
    for (const x of [9.5, 16, 22.5]) line(ctx, p.dark, 1, [x, 2], [x, 30]);
    ctx.restore();
  }
  ctx.beginPath();
  circle(ctx, 16, 16, 12);
  ctx.lineWidth = 2.2;
  ctx.strokeStyle = shade(ctx, rim, 4, 4, 28, 28);
  ctx.stroke();
  fill(ctx, ball(ctx, rim, 16, 16, 3.8), () => circle(ctx, 16, 16, 3.8), 1.1);
}

function sq_shield(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 5, 4, 27, 28), () => rounded(ctx, 5, 4, 22, 24, 2.5));
  line(ctx, SHADOW, 1.2, [8.5, 7.5], [8.5, 24.5], [23.5, 24.5]);
  line(ctx, HIGHLIGHT, 1.2, [8.5, 7.5], [23.5, 7.5], [23.5, 24.5]);
  for (const [x, y] of [[8, 7], [24, 7], [8, 25], [24, 25]]) {
    fill(ctx, ball(ctx, p, x, y, 1.3), () => circle(ctx, x, y, 1.3), 0.7);
  }
  fill(ctx, ball(ctx, p, 16, 16, 3.4), () => circle(ctx, 16, 16, 3.4), 1);
}

function kite_outline(ctx) {
  ctx.moveTo(16, 3);
  ctx.quadraticCurveTo(27.5, 3, 27.5, 9);
  ctx.quadraticCurveTo(26.5, 21, 16, 30);
  ctx.quadraticCurveTo(5.5, 21, 4.5, 9);
  ctx.quadraticCurveTo(4.5, 3, 16, 3);
  ctx.closePath();
}

function kiteshield(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 5, 3, 27, 30), () => kite_outline(ctx));
  fill(ctx, p.dark, () => polygon(ctx, [14.6, 6], [17.4, 6], [17.4, 26], [14.6, 26]), 0);
  fill(ctx, p.dark, () => polygon(ctx, [7.5, 11.5], [24.5, 11.5], [24.5, 14], [7.5, 14]), 0);
  line(ctx, HIGHLIGHT, 1, [7, 7], [16, 5.5], [25, 7]);
}

/** The dome of a helm, from the brim at y = base. */
function dome(ctx, left, right, base) {
  ctx.moveTo(left, base);
  ctx.lineTo(left, 15);
  ctx.bezierCurveTo(left, 2, right, 2, right, 15);
  ctx.lineTo(right, base);
  ctx.closePath();
}

function helm(ctx, look) {
  const p = palette(look.material);
  const g = shade(ctx, p, 6, 4, 26, 26);
  fill(ctx, g, () => {
    ctx.moveTo(5.5, 26);
    ctx.lineTo(5.5, 15);
    ctx.bezierCurveTo(5.5, 1.5, 26.5, 1.5, 26.5, 15);
    ctx.lineTo(26.5, 26);
    ctx.quadraticCurveTo(23, 25, 21.5, 21);
    ctx.lineTo(21.5, 18);
    ctx.lineTo(10.5, 18);
    ctx.lineTo(10.5, 21);
    ctx.quadraticCurveTo(9, 25, 5.5, 26);
    ctx.closePath();
  });
  fill(ctx, "#0c0a08", () => polygon(ctx, [10.5, 18], [21.5, 18], [21.5, 21], [17.2, 21], [17.2, 18.5], [14.8, 18.5], [14.8, 21], [10.5, 21]), 0);
  fill(ctx, g, () => rounded(ctx, 14.6, 15, 2.8, 12.5, 1.2), 1.1);
  line(ctx, p.dark, 1.1, [6, 15.5], [26, 15.5]);
  line(ctx, HIGHLIGHT, 1.3, [9.5, 12.5], [11, 8], [15, 6]);
}

function full_helm(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 7, 3, 25, 29), () => dome(ctx, 7, 25, 29));
  line(ctx, p.dark, 1.2, [16, 4.5], [16, 12]);
  fill(ctx, "#0c0a08", () => polygon(ctx, [9, 13.5], [23, 13.5], [23, 16], [17.2, 16], [17.2, 24], [14.8, 24], [14.8, 16], [9, 16]), 0);
  for (const [x, y] of [[11, 21], [11, 24.5], [21, 21], [21, 24.5]]) {
    fill(ctx, "#0c0a08", () => circle(ctx, x, y, 0.8), 0);
  }
  line(ctx, HIGHLIGHT, 1.3, [10, 11], [11.5, 7], [14.5, 5.5]);
}

function hood(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 4, 3, 28, 29), () => {
    ctx.moveTo(16, 3);
    ctx.bezierCurveTo(27, 3, 29, 18, 27, 29);
    ctx.lineTo(5, 29);
    ctx.bezierCurveTo(3, 18, 5, 3, 16, 3);
  });
  fill(ctx, "#1a120c", () => ctx.ellipse(16, 18, 6.5, 8, 0, 0, Math.PI * 2), 1);
  ctx.setLineDash([1.5, 1.5]);
  line(ctx, p.light, 0.8, [16, 4.5], [16, 9.5]);
  ctx.setLineDash([]);
}

function torso(ctx) {
  polygon(ctx, [10, 4], [13, 4], [16, 7], [19, 4], [22, 4], [29, 9.5], [26.5, 17], [24, 15.5],
    [24, 28.5], [8, 28.5], [8, 15.5], [5.5, 17], [3, 9.5]);
}

function platebody(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 4, 4, 28, 28), () => torso(ctx));
  line(ctx, p.dark, 1, [16, 8], [16, 28]);
  line(ctx, p.dark, 1, [8.5, 21], [16, 23], [23.5, 21]);
  for (const side of [-1, 1]) {
    fill(ctx, shade(ctx, p, 16 + side * 13, 5, 16 + side * 8, 14), () => {
      ctx.moveTo(16 + side * 6, 4);
      ctx.quadraticCurveTo(16 + side * 13.5, 4, 16 + side * 13, 10.5);
      ctx.lineTo(16 + side * 7.5, 11.5);
      ctx.closePath();
    }, 1);
  }
  line(ctx, HIGHLIGHT, 1.1, [11, 12], [11, 20]);
}

function body(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 4, 4, 28, 28), () => torso(ctx));
  line(ctx, p.dark, 1, [13, 4.5], [16, 12], [19, 4.5]);
  line(ctx, p.light, 0.8, [14.2, 8], [17.8, 9.5]);
  line(ctx, p.light, 0.8, [17.8, 8], [14.2, 9.5]);
  ctx.setLineDash([1.4, 1.4]);
  line(ctx, p.dark, 0.8, [9.5, 26.5], [22.5, 26.5]);
  ctx.setLineDash([]);
}

function leg_outline(ctx) {
  polygon(ctx, [8, 8], [24, 8], [25.5, 29], [18, 29], [16, 14], [14, 29], [6.5, 29]);
}

function platelegs(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 6, 8, 26, 29), () => leg_outline(ctx));
  fill(ctx, shade(ctx, p, 7.5, 4, 24.5, 8.5), () => rounded(ctx, 7.5, 4, 17, 4.5, 1));
  for (const x of [10.5, 21.5]) fill(ctx, ball(ctx, p, x, 19, 2.6), () => ctx.ellipse(x, 19, 2.6, 2.2, 0, 0, Math.PI * 2), 0.9);
  line(ctx, HIGHLIGHT, 1, [9.5, 11], [8.7, 26]);
}

function legs(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 6, 8, 26, 29), () => leg_outline(ctx));
  fill(ctx, shade(ctx, GRIP, 7.5, 4, 24.5, 8.5), () => rounded(ctx, 7.5, 4, 17, 4.5, 1));
  fill(ctx, PALETTES.gold.base, () => rounded(ctx, 14.5, 4.6, 3, 3.3, 0.6), 0.8);
  ctx.setLineDash([1.4, 1.4]);
  line(ctx, p.dark, 0.8, [10, 10], [9, 27]);
  line(ctx, p.dark, 0.8, [22, 10], [23, 27]);
  ctx.setLineDash([]);
}

function gloves(ctx, look) {
  const p = palette(look.material);
  const g = shade(ctx, p, 6, 4, 26, 28);
  for (const [x, top] of [[10, 7], [13.4, 5], [16.8, 5.5], [20.2, 8]]) fill(ctx, g, () => rounded(ctx, x, top, 3.2, 12, 1.6), 1.1);
  fill(ctx, g, () => ctx.ellipse(8.6, 18, 2.4, 5, -0.6, 0, Math.PI * 2), 1.1);
  fill(ctx, g, () => rounded(ctx, 9.5, 13, 14.5, 11, 3));
  fill(ctx, shade(ctx, p, 9, 22, 24, 29), () => rounded(ctx, 9, 22.5, 15.5, 6.5, 1.5));
  line(ctx, p.dark, 0.9, [9.5, 25.7], [24, 25.7]);
}

function vambraces(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 8, 4, 24, 28), () => polygon(ctx, [8.5, 4], [23.5, 4], [21.5, 28.5], [10.5, 28.5]));
  for (const y of [9, 21]) fill(ctx, shade(ctx, GRIP, 8, y, 24, y + 3), () => polygon(ctx, [8.2, y], [23.8, y], [23.5, y + 3], [8.5, y + 3]), 0.9);
  for (const y of [9, 21]) fill(ctx, PALETTES.iron.light, () => rounded(ctx, 18.5, y + 0.4, 2.4, 2.2, 0.4), 0.6);
  line(ctx, HIGHLIGHT, 1, [11, 6], [12.5, 26]);
}

function boots(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 7, 4, 29, 28), () =>
    polygon(ctx, [8.5, 5], [19.5, 5], [19.5, 17.5], [25.5, 20], [29, 23.5], [29, 27], [7, 27], [8, 17]));
  fill(ctx, p.dark, () => rounded(ctx, 6.5, 26, 23, 3, 1), 1);
  fill(ctx, shade(ctx, p, 8, 3, 20, 7), () => rounded(ctx, 7.5, 3.5, 13, 4, 1), 1);
  line(ctx, HIGHLIGHT, 1, [10.5, 9], [10, 23]);
}

function cape(ctx, look) {
  const p = palette(look.material);
  fill(ctx, shade(ctx, p, 5, 4, 27, 29), () => {
    ctx.moveTo(11, 4.5);
    ctx.lineTo(21, 4.5);
    ctx.quadraticCurveTo(24, 15, 28.5, 28);
    ctx.quadraticCurveTo(16, 30.5, 3.5, 28);
    ctx.quadraticCurveTo(8, 15, 11, 4.5);
  });
  line(ctx, p.dark, 1, [14, 8], [12, 28]);
  line(ctx, p.dark, 1, [18, 8], [20.5, 28]);
  line(ctx, "rgba(255,255,255,0.3)", 1.2, [10, 12], [7.5, 26]);
  fill(ctx, ball(ctx, PALETTES.gold, 16, 5.5, 2.3), () => circle(ctx, 16, 5.5, 2.3), 1);
}

function amulet(ctx, look) {
  const gold = palette(look.material);
  ctx.beginPath();
  ctx.moveTo(7, 4);
  ctx.bezierCurveTo(6, 14, 11, 18, 16, 18);
  ctx.bezierCurveTo(21, 18, 26, 14, 25, 4);
  ctx.lineWidth = 2.6;
  ctx.strokeStyle = OUTLINE;
  ctx.stroke();
  ctx.setLineDash([1.6, 1]);
  ctx.lineWidth = 1.4;
  ctx.strokeStyle = gold.light;
  ctx.stroke();
  ctx.setLineDash([]);
  fill(ctx, shade(ctx, gold, 10, 16, 22, 29), () => circle(ctx, 16, 22.5, 6));
  if (look.accent) fill(ctx, ball(ctx, accent_palette(look), 16, 22.5, 3.4), () => circle(ctx, 16, 22.5, 3.4), 0.9);
  else line(ctx, gold.dark, 1.2, [16, 19], [16, 26]);
}

function ring(ctx, look) {
  const p = palette(look.material);
  ctx.beginPath();
  ctx.ellipse(16, 19.5, 10, 8.5, 0, 0, Math.PI * 2);
  ctx.ellipse(16, 19.5, 6.5, 5.2, 0, 0, Math.PI * 2);
  ctx.fillStyle = shade(ctx, p, 6, 11, 26, 28);
  ctx.fill("evenodd");
  ctx.lineWidth = 1.3;
  ctx.strokeStyle = OUTLINE;
  ctx.stroke();
  line(ctx, HIGHLIGHT, 1, [8, 17], [11, 13]);
  if (look.accent) {
    fill(ctx, shade(ctx, p, 12, 7, 20, 13), () => rounded(ctx, 12, 8.5, 8, 4, 1.2), 1);
    fill(ctx, ball(ctx, accent_palette(look), 16, 7.5, 3.4), () => circle(ctx, 16, 7.5, 3.4), 1);
  }
}

export const ARMOUR_SHAPES = {
  shield, sq_shield, kiteshield, helm, full_helm, hood, platebody, body, platelegs, legs, gloves,
  vambraces, boots, cape, amulet, ring,
};
