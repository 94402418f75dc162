#!/usr/bin/env python3
"""Stages a Node.js app for an image: its compiled *.js files and exactly the packages it needs.

The packages are the closure of the given roots over package.json `dependencies`, resolved the
way Node resolves a require() (the requiring package's own node_modules first, then each
node_modules further up, up to the project's). Nothing else from the project's node_modules goes
in: no dev tools, no optional or peer dependencies. Each package folder is taken whole except for
its own nested node_modules (those packages come in through the closure, at the same relative
path, so require() finds them in the image exactly where it finds them on the host).

  node_app.py hash  --project DIR --app DIR --name NAME [--extra...] ROOT...
  node_app.py stage --project DIR --app DIR --name NAME [--extra...] --out DIR ROOT...

Both print `hash=<16 hex>` (a sha256 over every staged path, its executable bit and its bytes,
plus the --extra* inputs), `files=N`, `packages=N` and `bytes=N`. `stage` also writes
OUT/<name>/*.js and OUT/node_modules/..., and hashes the bytes it copied, so the hash always
names what was staged even if a file changes meanwhile. The layout under OUT is what goes to
/app in the image.
"""
import argparse
import hashlib
import json
import os
import shutil
import stat
import sys


def die(msg):
    print(f"node_app: error: {msg}", file=sys.stderr)
    sys.exit(1)


def resolve(name, from_dir, project):
    """The folder of package `name` as required from `from_dir` (Node's node_modules lookup)."""
    d = from_dir
    while True:
        if os.path.basename(d) != "node_modules":
            candidate = os.path.join(d, "node_modules", name)
            if os.path.isfile(os.path.join(candidate, "package.json")):
                return candidate
        if d == project or d == os.path.dirname(d):
            return None
        d = os.path.dirname(d)


def closure(roots, project):
    """Package folders (absolute), each once, from the roots over `dependencies`."""
    seen, todo = {}, [(r, project, "(root)") for r in roots]
    while todo:
        name, from_dir, wanted_by = todo.pop()
        pkg = resolve(name, from_dir, project)
        if pkg is None:
            die(f"package {name} (a dependency of {wanted_by}) is not installed under {project}/node_modules (run npm ci)")
        pkg = os.path.realpath(pkg)
        if pkg in seen:
            continue
        with open(os.path.join(pkg, "package.json"), encoding="utf-8") as f:
            meta = json.load(f)
        seen[pkg] = meta.get("version", "?")
        for dep in sorted((meta.get("dependencies") or {}).keys()):
            todo.append((dep, pkg, f"{name}@{seen[pkg]}"))
    return sorted(seen)


def package_files(pkg):
    """(absolute path, path relative to pkg) of every file and symlink, without pkg/node_modules."""
    out = []
    for top, dirs, files in os.walk(pkg):
        if top == pkg and "node_modules" in dirs:
            dirs.remove("node_modules")
        dirs.sort()
        for n in sorted(files) + sorted(d for d in dirs if os.path.islink(os.path.join(top, d))):
            p = os.path.join(top, n)
            out.append((p, os.path.relpath(p, pkg)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["hash", "stage"])
    ap.add_argument("--project", required=True, help="folder holding node_modules/")
    ap.add_argument("--app", required=True, help="folder of the compiled app (its *.js are taken)")
    ap.add_argument("--name", required=True, help="the app's folder name in the image")
    ap.add_argument("--extra", action="append", default=[], help="a string that goes into the hash too")
    ap.add_argument("--extra-file", action="append", default=[], help="a file whose bytes go into the hash too")
    ap.add_argument("--extra-stat", action="append", default=[],
                    help="a file whose path, size and mtime go into the hash (a large binary: not read)")
    ap.add_argument("--out", help="stage: folder to write (replaced)")
    ap.add_argument("roots", nargs="+", help="the packages the app requires")
    a = ap.parse_args()
    project = os.path.realpath(a.project)
    app = os.path.realpath(a.app)
    if a.mode == "stage" and not a.out:
        die("stage needs --out")

    entries = []  # (source path, path under /app)
    js = sorted(n for n in os.listdir(app) if n.endswith(".js") and os.path.isfile(os.path.join(app, n)))
    if not js:
        die(f"no *.js in {app}")
    entries += [(os.path.join(app, n), os.path.join(a.name, n)) for n in js]
    modules = os.path.join(project, "node_modules")
    pkgs = closure(a.roots, project)
    for pkg in pkgs:
        rel = os.path.relpath(pkg, modules)
        if rel.startswith(".."):
            die(f"{pkg} is outside {modules}")
        entries += [(p, os.path.join("node_modules", rel, r)) for p, r in package_files(pkg)]

    if a.mode == "stage":
        if os.path.exists(a.out):
            shutil.rmtree(a.out)
        os.makedirs(a.out)

    h, total = hashlib.sha256(), 0
    for extra in a.extra:
        h.update(b"extra\0" + extra.encode() + b"\0")
    for path in a.extra_file:
        with open(path, "rb") as f:
            h.update(b"extra-file\0" + hashlib.sha256(f.read()).digest())
    for path in a.extra_stat:
        st = os.stat(path)
        h.update(f"extra-stat\0{os.path.realpath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    for src, dst in entries:
        st = os.lstat(src)
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(src)
            h.update(b"link\0" + dst.encode() + b"\0" + target.encode() + b"\0")
            if a.mode == "stage":
                os.makedirs(os.path.dirname(os.path.join(a.out, dst)), exist_ok=True)
                os.symlink(target, os.path.join(a.out, dst))
            continue
        with open(src, "rb") as f:
            data = f.read()
        mode = 0o755 if st.st_mode & 0o111 else 0o644
        h.update(b"file\0" + dst.encode() + b"\0" + oct(mode).encode() + b"\0" + hashlib.sha256(data).digest())
        total += len(data)
        if a.mode == "stage":
            out = os.path.join(a.out, dst)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(data)
            os.chmod(out, mode)

    print(f"hash={h.hexdigest()[:16]}")
    print(f"files={len(entries)}")
    print(f"packages={len(pkgs)}")
    print(f"bytes={total}")


if __name__ == "__main__":
    main()
