// snippet.js measures the search-result snippet as the SEO analysis does
// (internal/analyze/snippet.go): an SEO title's width in pixels in Arial
// at 20 px, and a meta description's length in characters.

// The Arial advance widths (1/1000 em) of the printable ASCII characters,
// space to tilde, as the server's table.
const ARIAL = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556,
  278, 278, 584, 584, 584, 556, 1015,
  667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611,
  278, 278, 278, 469, 556, 333,
  556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500,
  334, 260, 334, 584,
];
const FROM = [..."àáâãäåèéêëìíîïòóôõöùúûüýÿñçÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝÑÇ"];
const TO = "aaaaaaeeeeiiiiooooouuuuyyncAAAAAAEEEEIIIIOOOOOUUUUYNC";

// The bands the SEO analysis grades (seo.title_width, seo.meta_description_length).
export const TITLE_MIN_PX = 400, TITLE_MAX_PX = 600, META_MIN = 120, META_MAX = 156;

function charUnits(ch) {
  const c = ch.codePointAt(0);
  if (c >= 32 && c <= 126) return ARIAL[c - 32];
  const i = FROM.indexOf(ch);
  return i >= 0 ? ARIAL[TO.charCodeAt(i) - 32] : 556;
}

// titleWidth is the width of title in pixels (surrounding space not counted).
export function titleWidth(title) {
  let units = 0;
  for (const ch of title.trim()) units += charUnits(ch);
  return Math.floor((units * 20 + 500) / 1000);
}

// fitTitle cuts title where it passes max pixels, as search results do
// (with an ellipsis); returns {text, cut}.
export function fitTitle(title, max = TITLE_MAX_PX) {
  const t = title.trim();
  if (titleWidth(t) <= max) return { text: t, cut: false };
  let units = charUnits(" ") + 1000, out = ""; // room for " …"
  for (const ch of t) {
    units += charUnits(ch);
    if ((units * 20 + 500) / 1000 > max) break;
    out += ch;
  }
  return { text: out.trimEnd() + " …", cut: true };
}

// metaChars is the length of a meta description in characters (code points).
export function metaChars(meta) { return [...meta.trim()].length; }

// titleBand grades a title width as seo.title_width does: empty poor,
// wider than TITLE_MAX_PX poor, else good (short titles are fine).
export function titleBand(px) { return px === 0 || px > TITLE_MAX_PX ? "poor" : "good"; }

// metaBand grades a meta description as seo.meta_description_length does:
// empty poor, up to META_MIN or over META_MAX characters ok, else good.
export function metaBand(n) { return n === 0 ? "poor" : n <= META_MIN || n > META_MAX ? "ok" : "good"; }
