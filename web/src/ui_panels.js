// The side panel: inventory (28 slots), equipment (11 slots), skills, item
// details, and the right-click context menu shared with the map.

import { INVENTORY_SLOTS, EQUIPMENT_SLOTS, SKILL_NAMES } from "./state.js";
import { item_icon_element } from "./icons.js";
import { item_look } from "./item_kinds.js";

/**
 * The equipment slot an inventory item goes to, from its fields, else from the
 * shape its name gives it (item_kinds.js); null if it is not worn.
 */
export function equipment_slot_for(item) {
  if (!item) return null;
  for (const key of ["equipment_slot", "equip_slot", "slot"]) {
    if (EQUIPMENT_SLOTS.includes(item[key])) return item[key];
  }
  return item_look(item).slot;
}

/** Renders panels from the state; actions(name, ...args) performs what the player picks. */
export class SidePanel {
  constructor(state, actions) {
    this.state = state;
    this.actions = actions;
    this.selected = null; // {kind: "inventory"|"equipment", key}
    this.inventory_el = document.getElementById("inventory-grid");
    this.equipment_el = document.getElementById("equipment-grid");
    this.stats_el = document.getElementById("equipment-stats");
    this.skills_el = document.getElementById("skills-list");
    this.details_el = document.getElementById("item-details");
    // The help shown when no item is selected is written once, in index.html.
    this.help_text = this.details_el.textContent.trim();
    this.menu = new ContextMenu(document.getElementById("context-menu"));
    for (const tab of document.querySelectorAll(".tab")) {
      tab.addEventListener("click", () => this.show_tab(tab.dataset.tab));
    }
    this._build_inventory();
    this._build_equipment();
  }

  show_tab(name) {
    for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.tab === name);
    for (const panel of ["inventory", "equipment", "skills"]) {
      document.getElementById(`panel-${panel}`).classList.toggle("hidden", panel !== name);
    }
  }

  _build_inventory() {
    this.inventory_slots = [];
    for (let slot = 0; slot < INVENTORY_SLOTS; slot++) {
      const el = document.createElement("div");
      el.className = "slot";
      el.dataset.testid = `inventory-slot-${slot}`;
      el.draggable = true;
      el.addEventListener("click", () => this._select("inventory", slot));
      el.addEventListener("dblclick", () => this.state.inventory[slot] && this.actions("use", slot));
      el.addEventListener("contextmenu", (ev) => {
        ev.preventDefault();
        this._select("inventory", slot);
        this._inventory_menu(slot, ev.clientX, ev.clientY);
      });
      el.addEventListener("dragstart", (ev) => {
        if (!this.state.inventory[slot]) return ev.preventDefault();
        ev.dataTransfer.setData("text/x-rpg-slot", String(slot));
      });
      this.inventory_el.append(el);
      this.inventory_slots.push(el);
    }
  }

  _build_equipment() {
    this.equipment_slots = {};
    for (const slot of EQUIPMENT_SLOTS) {
      const el = document.createElement("div");
      el.className = "slot";
      el.style.gridArea = slot;
      el.dataset.testid = `equipment-slot-${slot}`;
      el.title = slot;
      el.addEventListener("click", () => this._select("equipment", slot));
      el.addEventListener("dblclick", () => this.state.equipment[slot] && this.actions("unequip", slot));
      el.addEventListener("contextmenu", (ev) => {
        ev.preventDefault();
        this._select("equipment", slot);
        if (this.state.equipment[slot]) {
          this.menu.open(ev.clientX, ev.clientY, this.state.equipment[slot].name || slot, [
            ["Unequip", () => this.actions("unequip", slot)],
          ]);
        }
      });
      el.addEventListener("dragover", (ev) => { ev.preventDefault(); el.classList.add("drop-target"); });
      el.addEventListener("dragleave", () => el.classList.remove("drop-target"));
      el.addEventListener("drop", (ev) => {
        ev.preventDefault();
        el.classList.remove("drop-target");
        const from = Number(ev.dataTransfer.getData("text/x-rpg-slot"));
        if (Number.isInteger(from)) this.actions("equip", from, slot);
      });
      this.equipment_el.append(el);
      this.equipment_slots[slot] = el;
    }
  }

  _inventory_menu(slot, x, y) {
    const item = this.state.inventory[slot];
    if (!item) return;
    const entries = [["Use", () => this.actions("use", slot)]];
    const target = equipment_slot_for(item);
    if (target) entries.push([`Equip (${target})`, () => this.actions("equip", slot, target)]);
    entries.push(["Drop", () => this.actions("drop", slot)]);
    if ((item.quantity || 1) > 1) {
      entries.push(["Drop 1", () => this.actions("drop", slot, 1)]);
      entries.push(["Drop X…", () => {
        const answer = window.prompt(`Drop how many ${item.name}?`, "1");
        if (answer != null) this.actions("drop", slot, Number(answer));
      }]);
    }
    this.menu.open(x, y, item.name || `Item #${item.item_id}`, entries);
  }

  _select(kind, key) {
    this.selected = { kind, key };
    this.render();
  }

  render() {
    this._render_inventory();
    this._render_equipment();
    this._render_skills();
    this._render_details();
  }

  _render_inventory() {
    this.state.inventory.forEach((item, slot) => {
      const el = this.inventory_slots[slot];
      el.classList.toggle("selected", this.selected?.kind === "inventory" && this.selected.key === slot);
      // Rebuilt only when the item changes: replacing the node under the mouse
      // between two clicks would swallow a double-click.
      const key = item ? `${item.item_id}:${item.quantity}:${item.name}` : "";
      if (el.dataset.key === key) return;
      el.dataset.key = key;
      el.replaceChildren();
      el.dataset.itemId = item ? item.item_id : "";
      el.title = item ? `${item.name}${item.quantity > 1 ? ` ×${item.quantity}` : ""}` : "";
      if (!item) return;
      el.append(item_icon_element(item, item.name));
      if (item.quantity > 1) {
        const qty = document.createElement("span");
        qty.className = "qty";
        qty.textContent = item.quantity;
        el.append(qty);
      }
    });
  }

  _render_equipment() {
    const totals = {};
    for (const slot of EQUIPMENT_SLOTS) {
      const item = this.state.equipment[slot];
      const el = this.equipment_slots[slot];
      el.classList.toggle("selected", this.selected?.kind === "equipment" && this.selected.key === slot);
      if (item) {
        for (const [stat, value] of Object.entries(item.stats || {})) totals[stat] = (totals[stat] || 0) + value;
      }
      const key = item ? `${item.item_id}:${item.name}` : "";
      if (el.dataset.key === key) continue;
      el.dataset.key = key;
      el.replaceChildren();
      el.dataset.itemId = item ? item.item_id : "";
      if (item) {
        el.append(item_icon_element(item, item.name, slot));
        el.title = `${slot}: ${item.name}`;
      } else {
        el.title = slot;
      }
      if (!item) {
        const label = document.createElement("span");
        label.className = "slot-label";
        label.textContent = slot;
        el.append(label);
      }
    }
    this.stats_el.replaceChildren();
    for (const [stat, value] of Object.entries(totals)) {
      const name = document.createElement("span");
      name.textContent = stat.replace(/_/g, " ");
      const v = document.createElement("span");
      v.textContent = value > 0 ? `+${value}` : String(value);
      this.stats_el.append(name, v);
    }
  }

  _render_skills() {
    const by_name = new Map(this.state.skills.map((s) => [s.name, s]));
    const names = [...SKILL_NAMES, ...this.state.skills.map((s) => s.name).filter((n) => !SKILL_NAMES.includes(n))];
    this.skills_el.replaceChildren();
    let total = 0;
    for (const name of names) {
      const s = by_name.get(name);
      if (!s) continue;
      total += s.current_level || 0;
      const row = document.createElement("div");
      row.className = "skill";
      row.dataset.testid = `skill-${name}`;
      const frac = s.target_xp ? Math.min(1, (s.current_xp || 0) / s.target_xp) : 1;
      row.innerHTML = `<span class="name"></span><span class="level"></span>
        <div class="xp"><div style="width:${(frac * 100).toFixed(1)}%"></div></div><span class="xp-text"></span>`;
      row.querySelector(".name").textContent = name;
      row.querySelector(".level").textContent = `Lv ${s.current_level}`;
      row.querySelector(".xp-text").textContent =
        `${(s.current_xp || 0).toLocaleString()} / ${(s.target_xp || 0).toLocaleString()} XP`;
      this.skills_el.append(row);
    }
    if (total) {
      const sum = document.createElement("div");
      sum.className = "skills-total";
      sum.innerHTML = "<span>Total level</span><span></span>";
      sum.lastChild.textContent = total;
      this.skills_el.append(sum);
    }
  }

  _render_details() {
    const sel = this.selected;
    const item = sel && (sel.kind === "inventory" ? this.state.inventory[sel.key] : this.state.equipment[sel.key]);
    this.details_el.replaceChildren();
    const p = document.createElement("p");
    if (!item) {
      p.className = "muted";
      p.textContent = this.help_text;
      this.details_el.append(p);
      return;
    }
    p.textContent = `${item.name || `Item #${item.item_id}`}${item.quantity > 1 ? ` ×${item.quantity}` : ""}`;
    const actions = document.createElement("div");
    actions.className = "actions";
    const button = (label, testid, fn) => {
      const b = document.createElement("button");
      b.className = "small";
      b.textContent = label;
      b.dataset.testid = testid;
      b.addEventListener("click", fn);
      actions.append(b);
    };
    if (sel.kind === "inventory") {
      button("Use", "action-use", () => this.actions("use", sel.key));
      const target = equipment_slot_for(item);
      if (target) button("Equip", "action-equip", () => this.actions("equip", sel.key, target));
      button("Drop", "action-drop", () => this.actions("drop", sel.key));
    } else {
      button("Unequip", "action-unequip", () => this.actions("unequip", sel.key));
    }
    this.details_el.append(p, actions);
  }
}

export class ContextMenu {
  constructor(el) {
    this.el = el;
    document.addEventListener("click", () => this.close());
    document.addEventListener("keydown", (ev) => ev.key === "Escape" && this.close());
    window.addEventListener("blur", () => this.close());
  }

  /** entries: [[label, fn], ...] */
  open(x, y, title, entries) {
    this.el.replaceChildren();
    const head = document.createElement("li");
    head.className = "title";
    head.textContent = title;
    this.el.append(head);
    for (const [label, fn] of entries) {
      const li = document.createElement("li");
      li.textContent = label;
      li.setAttribute("role", "menuitem");
      li.dataset.testid = `menu-${label.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-$/, "")}`;
      li.addEventListener("click", (ev) => { ev.stopPropagation(); this.close(); fn(); });
      this.el.append(li);
    }
    this.el.classList.remove("hidden");
    const rect = this.el.getBoundingClientRect();
    this.el.style.left = `${Math.min(x, window.innerWidth - rect.width - 4)}px`;
    this.el.style.top = `${Math.min(y, window.innerHeight - rect.height - 4)}px`;
  }

  close() {
    this.el.classList.add("hidden");
  }
}
