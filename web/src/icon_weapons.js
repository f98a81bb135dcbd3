// Icon shapes for weapons and ammunition.  Blades and hafts are drawn upright
// around (0, 0) and turned to lie from the bottom-left to the top-right corner.

import {
  GRIP, PALETTES, accent_palette, ball, circle, diagonal, fill, line, palette, polygon,
  rod, rounded, shade,
} from "./icon_paint.js";

/** A straight blade with guard, grip and pommel; sizes in the upright frame. */
function bladed(ctx, p, { half, tip, base, guard, grip }) {
  diagonal(ctx, () => {
    fill(ctx, shade(ctx, p, -half, 0, half, 0), () =>
      polygon(ctx, [-half, base], [-half, tip + half * 1.8], [0, tip], [half, tip + half * 1.8], [half, base]));
    line(ctx, "rgba(255,255,255,0.55)", 0.9, [-half / 3, base - 1], [-half / 3, tip + half * 2]);
    fill(ctx, shade(ctx, p, 0, base, 0, base + 2.6), () => rounded(ctx, -guard, base, guard * 2, 2.6, 1.1));
    fill(ctx, shade(ctx, GRIP, -1.4, 0, 1.4, 0), () => ctx.rect(-1.4, base + 2.6, 2.8, grip));
    for (let y = base + 4; y < base + 2.6 + grip; y += 2) line(ctx, GRIP.dark, 0.7, [-1.4, y], [1.4, y - 0.8]);
    fill(ctx, ball(ctx, p, 0, base + 4.6 + grip, 2.2), () => circle(ctx, 0, base + 4.6 + grip, 2.2));
  });
}

function sword(ctx, look) {
  bladed(ctx, palette(look.material), { half: 2.6, tip: -16, base: 4.5, guard: 6.2, grip: 6 });
}

function dagger(ctx, look) {
  ctx.save();
  ctx.translate(-2, 2);
  bladed(ctx, palette(look.material), { half: 2.6, tip: -11, base: 3, guard: 5, grip: 5 });
  ctx.restore();
}

function two_handed_sword(ctx, look) {
  bladed(ctx, palette(look.material), { half: 2.9, tip: -19, base: 5, guard: 8, grip: 8 });
}

function scimitar(ctx, look) {
  const p = palette(look.material);
  diagonal(ctx, () => {
    fill(ctx, shade(ctx, p, -3, 0, 5, 0), () => {
      ctx.moveTo(-2.2, 5);
      ctx.quadraticCurveTo(-3.2, -8, 6, -16);
      ctx.quadraticCurveTo(3.6, -6, 2.4, 5);
      ctx.closePath();
    });
    line(ctx, "rgba(255,255,255,0.5)", 0.9, [-1, 3], [-1.2, -5]);
    fill(ctx, shade(ctx, p, 0, 5, 0, 7.5), () => rounded(ctx, -5, 5, 10, 2.5, 1.1));
    fill(ctx, shade(ctx, GRIP, -1.4, 0, 1.4, 0), () => ctx.rect(-1.4, 7.5, 2.8, 6));
    fill(ctx, ball(ctx, p, 0, 15.4, 2), () => circle(ctx, 0, 15.4, 2));
  });
}

/** A wooden (or leather-wrapped) haft from y0 to y1. */
function haft(ctx, y0, y1, width = 2.8) {
  const wood = PALETTES.wood;
  fill(ctx, shade(ctx, wood, -width / 2, 0, width / 2, 0), () => rounded(ctx, -width / 2, y0, width, y1 - y0, 1));
}

function mace(ctx, look) {
  const p = palette(look.material);
  diagonal(ctx, () => {
    haft(ctx, -6, 16);
    line(ctx, GRIP.dark, 2.9, [0, 10], [0, 15]);
    for (let i = 0; i < 8; i++) {
      const a = (i / 8) * Math.PI * 2;
      const [c, s] = [Math.cos(a), Math.sin(a)];
      fill(ctx, shade(ctx, p, -9, -18, 9, 0), () => polygon(ctx,
        [c * 3.5 - s * 2.2, -9 + s * 3.5 + c * 2.2], [c * 9, -9 + s * 9], [c * 3.5 + s * 2.2, -9 + s * 3.5 - c * 2.2]), 1);
    }
    fill(ctx, ball(ctx, p, 0, -9, 5), () => circle(ctx, 0, -9, 5));
  });
}

/** One blade of an axe on a haft along x = 0, centred at height y, scaled by k. */
function axe_head(ctx, p, side, y, k = 1) {
  const at = (x, dy) => [side * x * k, y + dy * k];
  fill(ctx, shade(ctx, p, ...at(1.5, -8), ...at(12, 6)), () => {
    ctx.moveTo(...at(1.4, -2.5));
    ctx.lineTo(...at(5, -3));
    ctx.quadraticCurveTo(...at(8, -5), ...at(10, -8.5));
    ctx.quadraticCurveTo(...at(13.5, 0), ...at(10, 8.5));
    ctx.quadraticCurveTo(...at(8, 5), ...at(5, 3));
    ctx.lineTo(...at(1.4, 2.5));
    ctx.closePath();
  });
}

function battleaxe(ctx, look) {
  const p = palette(look.material);
  diagonal(ctx, () => {
    haft(ctx, -13, 17);
    axe_head(ctx, p, -1, -6, 0.82);
    axe_head(ctx, p, 1, -6, 0.82);
    fill(ctx, ball(ctx, p, 0, -13.5, 1.8), () => circle(ctx, 0, -13.5, 1.8));
  });
}

function axe(ctx, look) {
  diagonal(ctx, () => {
    haft(ctx, -12, 15);
    axe_head(ctx, palette(look.material), 1, -6.5, 0.85);
  });
}

function hammer(ctx, look) {
  const p = palette(look.material);
  diagonal(ctx, () => {
    haft(ctx, -8, 16);
    fill(ctx, shade(ctx, p, -9, -14, 9, -6), () => rounded(ctx, -9, -14, 18, 8, 1.5));
    line(ctx, "rgba(255,255,255,0.5)", 1, [-7.5, -12.5], [7.5, -12.5]);
  });
}

function spear(ctx, look) {
  const p = palette(look.material);
  diagonal(ctx, () => {
    haft(ctx, -10, 19, 2.4);
    fill(ctx, shade(ctx, p, -3.5, 0, 3.5, 0), () => {
      ctx.moveTo(0, -20);
      ctx.quadraticCurveTo(4.5, -13, 1.4, -8.5);
      ctx.lineTo(-1.4, -8.5);
      ctx.quadraticCurveTo(-4.5, -13, 0, -20);
    });
    line(ctx, p.dark, 2, [-2, -8], [2, -7]);
  });
}

function staff(ctx, look) {
  diagonal(ctx, () => {
    rod(ctx, shade(ctx, palette(look.material), -1.5, 0, 1.5, 0), 2.6, () => {
      ctx.moveTo(0, 18);
      ctx.lineTo(0, -10);
      ctx.quadraticCurveTo(-4, -14, -2, -17);
    });
    const gem = accent_palette(look, look.material);
    fill(ctx, ball(ctx, gem, 1, -14, 4.2), () => circle(ctx, 1, -14, 4.2));
  });
}

function whip(ctx, look) {
  const p = palette(look.material);
  rod(ctx, p.base, 1.6, () => {
    ctx.moveTo(11, 21);
    ctx.bezierCurveTo(20, 30, 30, 18, 24, 10);
    ctx.bezierCurveTo(18, 2, 6, 6, 6, 14);
    ctx.bezierCurveTo(6, 20, 14, 18, 15, 13);
  });
  diagonal(ctx, () => fill(ctx, shade(ctx, GRIP, -1.8, 0, 1.8, 0), () => rounded(ctx, -1.8, 8, 3.6, 9, 1.4)));
}

function bow(ctx, look) {
  const wood = palette(look.material);
  diagonal(ctx, () => {
    line(ctx, "#e8e4d8", 0.8, [3, -16], [3, 16]);
    rod(ctx, shade(ctx, wood, -8, 0, 0, 0), 2.6, () => {
      ctx.moveTo(3, -16);
      ctx.quadraticCurveTo(-4, -12, -5, 0);
      ctx.quadraticCurveTo(-4, 12, 3, 16);
    });
    fill(ctx, shade(ctx, GRIP, -6.5, 0, -3.5, 0), () => rounded(ctx, -6.6, -3, 3.2, 6, 1));
  });
}

function arrow(ctx, head) {
  rod(ctx, "#c89a5e", 1.3, () => { ctx.moveTo(0, 13); ctx.lineTo(0, -9); });
  fill(ctx, shade(ctx, head, -2.8, 0, 2.8, 0), () => polygon(ctx, [0, -16], [2.9, -9], [0, -10.2], [-2.9, -9]), 1.1);
  for (const side of [-1, 1]) {
    fill(ctx, side < 0 ? "#f4f0e6" : "#d8443a", () =>
      polygon(ctx, [0, 8], [side * 3, 11], [side * 3, 15.5], [0, 13]), 0.9);
  }
}

function arrows(ctx, look) {
  const head = palette(look.material);
  diagonal(ctx, () => {
    for (const [dx, dy] of [[-4, 2], [0, -1], [4, 2]]) {
      ctx.save();
      ctx.translate(dx, dy);
      arrow(ctx, head);
      ctx.restore();
    }
  });
}

export const WEAPON_SHAPES = {
  sword, dagger, two_handed_sword, scimitar, mace, battleaxe, axe, hammer, spear, staff, whip,
  bow, arrows,
};
