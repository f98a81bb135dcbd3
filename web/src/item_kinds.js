// What an item looks like, from the words of its name: a kind (the shape of its
// icon, and the equipment slot that shape implies) and a material (its colour).
// Pure (no DOM), so it can be tested under Node.  The server sends names, not
// keys, so the words are those of `sprite_id`, `key` and `name`, whichever the
// payload has; "Bronze 2h sword" and "bronze_2h_sword" read the same.

// First match wins, so the order matters: food before weapons (a swordfish is
// not a sword), the two-handed sword before the sword, "sq shield" before
// "shield", "full helm" before "helm".  `material` is the default when the
// name names none.
export const KINDS = Object.freeze([
  // -- food
  { kind: "swordfish", words: /\bswordfish\b/, slot: null, material: "cooked" },
  { kind: "lobster", words: /\b(lobsters?|crabs?|crayfish)\b/, slot: null, material: "cooked" },
  { kind: "shrimp", words: /\b(shrimps?|prawns?)\b/, slot: null, material: "cooked" },
  { kind: "fish", words: /\b(fish|trout|salmon|tuna|pike|bass|cod|herring|sardines?|anchovies|mackerel|carp|shark|eel|monkfish)\b/, slot: null, material: "cooked" },
  { kind: "bread", words: /\b(bread|loaf|bun|cake|pie)\b/, slot: null, material: "baked" },
  { kind: "meat", words: /\b(meat|beef|chicken|steak|ham|drumstick)\b/, slot: null, material: "cooked" },
  { kind: "potion", words: /\b(potions?|elixir|brew|flask|vial)\b/, slot: null, material: "glass" },
  { kind: "coins", words: /\b(coins?|gold pieces?)\b/, slot: null, material: "gold" },
  // -- ammunition and weapons
  { kind: "arrows", words: /\b(arrows?|bolts?|darts?|javelins?|ammo)\b/, slot: "ammo", material: "iron" },
  { kind: "bow", words: /\b(bow|shortbow|longbow|crossbow)\b/, slot: "weapon", material: "wood" },
  { kind: "two_handed_sword", words: /\b(2h|two handed) sword\b|\b(greatsword|claymore)\b/, slot: "weapon", material: "iron" },
  { kind: "dagger", words: /\b(dagger|knife|dirk)\b/, slot: "weapon", material: "iron" },
  { kind: "scimitar", words: /\b(scimitar|sabre|saber|cutlass|katana)\b/, slot: "weapon", material: "iron" },
  { kind: "sword", words: /\b(sword|longsword|blade|rapier)\b/, slot: "weapon", material: "iron" },
  { kind: "battleaxe", words: /\b(battleaxe|battle axe|greataxe)\b/, slot: "weapon", material: "iron" },
  { kind: "axe", words: /\b(axe|hatchet|pickaxe)\b/, slot: "weapon", material: "iron" },
  { kind: "hammer", words: /\b(warhammer|hammer|maul)\b/, slot: "weapon", material: "iron" },
  { kind: "mace", words: /\b(mace|club|morning star|flail)\b/, slot: "weapon", material: "iron" },
  { kind: "spear", words: /\b(spear|halberd|lance|trident)\b/, slot: "weapon", material: "iron" },
  { kind: "staff", words: /\b(staff|wand)\b/, slot: "weapon", material: "wood" },
  { kind: "whip", words: /\bwhip\b/, slot: "weapon", material: "leather" },
  // -- armour and jewellery
  { kind: "kiteshield", words: /\bkite ?shield\b/, slot: "shield", material: "iron" },
  { kind: "sq_shield", words: /\b(sq|square) shield\b/, slot: "shield", material: "iron" },
  { kind: "shield", words: /\b(shield|buckler|defender)\b/, slot: "shield", material: "wood" },
  { kind: "full_helm", words: /\b(full helm|great helm|mask)\b/, slot: "head", material: "iron" },
  { kind: "hood", words: /\b(cowl|hood|coif|hat|cap)\b/, slot: "head", material: "leather" },
  { kind: "helm", words: /\b(helm|helmet)\b/, slot: "head", material: "iron" },
  { kind: "platebody", words: /\b(platebody|chainbody|chainmail|plate body|armou?r)\b/, slot: "body", material: "iron" },
  { kind: "platelegs", words: /\b(platelegs|plateskirt|plate legs)\b/, slot: "legs", material: "iron" },
  { kind: "legs", words: /\b(legs|chaps|trousers|skirt|leggings|greaves|robe bottom)\b/, slot: "legs", material: "leather" },
  { kind: "body", words: /\b(body|chest|shirt|tunic|jerkin|robe top)\b/, slot: "body", material: "leather" },
  { kind: "vambraces", words: /\b(vambraces?|bracers?|bracelet)\b/, slot: "hands", material: "leather" },
  { kind: "gloves", words: /\b(gloves?|gauntlets?)\b/, slot: "hands", material: "leather" },
  { kind: "boots", words: /\b(boots?|shoes?|sandals?)\b/, slot: "feet", material: "leather" },
  { kind: "cape", words: /\b(cape|cloak)\b/, slot: "cape", material: "red" },
  { kind: "amulet", words: /\b(amulet|necklace|pendant|talisman|scarf)\b/, slot: "neck", material: "gold" },
  { kind: "ring", words: /\bring\b/, slot: "ring", material: "gold" },
  // -- materials and other things
  { kind: "bones", words: /\b(bones?|skull)\b/, slot: null, material: "bone" },
  { kind: "logs", words: /\b(logs?|planks?)\b/, slot: null, material: "wood" },
  { kind: "ore", words: /\b(ore|rocks?|coal|clay|essence)\b/, slot: null, material: "iron" },
  { kind: "bar", words: /\b(bar|ingot)\b/, slot: null, material: "iron" },
  { kind: "gem", words: /\b(gem|sapphire|emerald|ruby|diamond|opal|jade|topaz)\b/, slot: null, material: "glass" },
  { kind: "key", words: /\bkey\b/, slot: null, material: "iron" },
]);

/** An item with no matching word and no known slot: a sack. */
export const FALLBACK_KIND = "bag";

// A wearable item whose name says nothing gets the plain shape of its slot.
export const SLOT_KINDS = Object.freeze({
  weapon: "sword", shield: "shield", head: "helm", body: "body", legs: "legs", hands: "gloves",
  feet: "boots", cape: "cape", neck: "amulet", ring: "ring", ammo: "arrows",
});

// First match wins: metals by tier, then woods, leather, food states, cloth colours.
export const MATERIALS = Object.freeze([
  ["bronze", /\bbronze\b/], ["iron", /\biron\b/], ["steel", /\bsteel\b/], ["black", /\bblack\b/],
  ["mithril", /\bmithril\b/], ["adamant", /\badamant(ite)?\b/], ["rune", /\brun(e|ite)\b/],
  ["dragon", /\bdragon\b/], ["gold", /\bgold(en)?\b/], ["silver", /\bsilver\b/],
  ["copper", /\bcopper\b/], ["tin", /\btin\b/], ["coal", /\bcoal\b/],
  ["oak", /\boak\b/], ["willow", /\bwillow\b/], ["maple", /\bmaple\b/], ["yew", /\byew\b/],
  ["wood", /\bwood(en)?\b/], ["leather", /\b(leather|hide|studded)\b/],
  ["cooked", /\bcooked\b/], ["raw", /\braw\b/], ["burnt", /\bburnt\b/],
  ["red", /\bred\b/], ["blue", /\bblue\b/], ["green", /\bgreen\b/], ["yellow", /\byellow\b/],
  ["purple", /\bpurple\b/], ["orange", /\borange\b/], ["pink", /\bpink\b/], ["white", /\bwhite\b/],
  ["grey", /\bgr[ae]y\b/], ["brown", /\bbrown\b/],
]);

// The colour of a gem, a pendant or a potion, from what the item is for.
export const ACCENTS = Object.freeze([
  ["red", /\b(strength|warrior|ruby|fire|power|red)\b/],
  ["blue", /\b(defence|defense|sapphire|water|blue)\b/],
  ["green", /\b(attack|accuracy|emerald|nature|poison|green)\b/],
  ["purple", /\b(magic|amethyst|purple)\b/],
  ["white", /\b(diamond|prayer|white)\b/],
  ["yellow", /\b(topaz|energy|yellow)\b/],
]);

const KIND_BY_NAME = new Map(KINDS.map((k) => [k.kind, k]));

/** The words of an item: its sprite_id, key and name, lower case, split on anything but a-z and 0-9. */
export function item_words(item) {
  const parts = [item?.sprite_id, item?.key, item?.name].filter((p) => typeof p === "string");
  return ` ${parts.join(" ").toLowerCase().replace(/[^a-z0-9]+/g, " ").trim()} `;
}

function first_match(table, words) {
  for (const [name, pattern] of table) if (pattern.test(words)) return name;
  return null;
}

/**
 * How to draw an item: {kind, material, accent, slot, key}.  `slot` (optional)
 * is where it is worn, when the caller knows: it picks the shape when no word
 * does.  `key` names the look, for caching its picture.
 */
export function item_look(item, slot = null) {
  const words = item_words(item);
  const wearable = slot || item?.equipment_slot || null;
  let entry = KINDS.find((k) => k.words.test(words));
  if (!entry && SLOT_KINDS[wearable]) entry = KIND_BY_NAME.get(SLOT_KINDS[wearable]);
  const kind = entry ? entry.kind : FALLBACK_KIND;
  const material = first_match(MATERIALS, words) || (entry ? entry.material : "leather");
  const accent = first_match(ACCENTS, words);
  return { kind, material, accent, slot: entry ? entry.slot : null, key: `${kind}.${material}.${accent || ""}` };
}
