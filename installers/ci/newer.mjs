#!/usr/bin/env node
// `node installers/ci/newer.mjs A B`: exit 0 when version A is newer than B by semver precedence (a leading "v" and
// build metadata are ignored; 1.0.0-beta.2 < 1.0.0-rc.1 < 1.0.0), 1 when it is not, 2 on a malformed version.
// The release workflow uses it to decide whether a stable release also becomes the beta channel's manifest.

function parse(v) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(String(v).trim());
  if (!m) return null;
  return { core: [m[1], m[2], m[3]].map(Number), pre: m[4] ? m[4].split(".") : [] };
}

function comparePre(a, b) {
  if (a.length === 0 || b.length === 0) return b.length - a.length; // no pre-release ranks higher
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const [x, y] = [a[i], b[i]];
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny) {
      if (Number(x) !== Number(y)) return Number(x) - Number(y);
    } else if (nx !== ny) {
      return nx ? -1 : 1; // numeric identifiers rank lower
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

export function compare(a, b) {
  for (let i = 0; i < 3; i++) {
    if (a.core[i] !== b.core[i]) return a.core[i] - b.core[i];
  }
  return comparePre(a.pre, b.pre);
}

const [a, b] = process.argv.slice(2).map(parse);
if (!a || !b) {
  console.error(`newer: expected two versions, got: ${process.argv.slice(2).join(" ")}`);
  process.exit(2);
}
process.exit(compare(a, b) > 0 ? 0 : 1);
