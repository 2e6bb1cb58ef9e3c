#!/usr/bin/env python3
"""Layering check (STYLE.md B, docs/architecture.md §2). Runs as the ctest lint.layering.

The allowed links are the table of docs/architecture.md §2 (the doc is the source of truth; this
script only reads it). Every library is a dolphin_add_library(NAME <lib> ...) call in
libs/**/CMakeLists.txt. The check fails, with one line per problem, when
  - a library has no row in the table (or a row names a library that does not exist),
  - a library's CMake PUBLIC_DEPS/PRIVATE_DEPS (or target_link_libraries) name a dolphin library
    its row does not allow,
  - a library's sources or headers #include a public header of a library its row does not allow,
  - any file of a library or of apps/ includes a file under another library's src/ (private).

Header ownership: the headers under <dir>/include belong to the libraries of <dir>; when two
libraries share a folder (trader_engine and trader), <name>.h belongs to the one that compiles
src/<name>.cc, and a header without a src/<name>.cc to the first library of the folder (the rule
cmake/CheckHeaders.cmake uses too). Links are checked as written (direct), not transitively: a row
lists every library the code may use.

Usage: check_layering.py [ROOT]   (ROOT: the source tree; default: two levels above this file)
Exit: 0 clean, 1 violations, 2 the table or the CMake files could not be read.
"""

import os
import re
import sys

TABLE_MARKER = "The table below is data"
DOC = "docs/architecture.md"


def fail_setup(msg):
    print(f"check_layering: {msg}")
    sys.exit(2)


def parse_table(root):
    """Returns {library: set(allowed links)}, from the first table after TABLE_MARKER."""
    path = os.path.join(root, DOC)
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        fail_setup(f"{DOC}: cannot read ({e.strerror})")
    start = next((i for i, l in enumerate(lines) if TABLE_MARKER in l), None)
    if start is None:
        fail_setup(f"{DOC}: no '{TABLE_MARKER}' comment before the library table")
    rows = {}
    in_table = False
    for lineno in range(start, len(lines)):
        line = lines[lineno].strip()
        if not line.startswith("|"):
            if in_table:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not in_table:  # the header row
            if len(cells) < 2 or cells[0] != "library" or not cells[1].startswith("allowed"):
                fail_setup(f"{DOC}:{lineno + 1}: expected the header '| library | allowed dolphin links | ...'")
            in_table = True
            continue
        if set(cells[0]) <= set("-: "):
            continue  # the |---| row
        name = cells[0].strip("`")
        links = cells[1]
        if links in ("(none)", ""):
            allowed = set()
        elif links == "every library":
            allowed = None  # anything
        else:
            allowed = {x.strip().strip("`") for x in links.split(",") if x.strip()}
        rows[name] = (allowed, lineno + 1)
    if not rows:
        fail_setup(f"{DOC}: the library table after '{TABLE_MARKER}' has no rows")
    return rows


def strip_cmake_comments(text):
    return "\n".join(re.sub(r"#.*", "", l) for l in text.splitlines())


def cmake_calls(text, command):
    """Yields the argument text of every `command(...)` call (parentheses balanced)."""
    for m in re.finditer(r"\b" + command + r"\s*\(", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        yield text[m.end():i - 1]


def cmake_variables(text):
    """{var: [values]} from set(var ...) and list(APPEND var ...) anywhere in the file."""
    values = {}
    for args in cmake_calls(text, "set"):
        toks = args.split()
        if toks:
            values.setdefault(toks[0], []).extend(toks[1:])
    for args in cmake_calls(text, "list"):
        toks = args.split()
        if len(toks) >= 2 and toks[0] == "APPEND":
            values.setdefault(toks[1], []).extend(toks[2:])
    return values


def expand(tokens, variables, depth=0):
    out = []
    for t in tokens:
        m = re.fullmatch(r"\$\{(\w+)\}", t)
        if m and depth < 5:
            out.extend(expand(variables.get(m.group(1), []), variables, depth + 1))
        else:
            out.append(t)
    return out


def dolphin_links(tokens):
    links = set()
    for t in tokens:
        m = re.fullmatch(r"dolphin(?:::|_)(\w+)", t)
        if m and m.group(1) not in ("warnings", "sanitize"):
            links.add(m.group(1))
    return links


class Library:
    def __init__(self, name, folder, sources, links, cmake_file, first):
        self.name = name
        self.folder = folder  # relative to root
        self.sources = sources  # relative to folder
        self.links = links
        self.cmake_file = cmake_file
        self.first = first  # first library of its folder


def find_libraries(root):
    libs = {}
    libs_root = os.path.join(root, "libs")
    for dirpath, dirnames, filenames in os.walk(libs_root):
        dirnames.sort()
        if "CMakeLists.txt" not in filenames:
            continue
        cmake_file = os.path.relpath(os.path.join(dirpath, "CMakeLists.txt"), root)
        text = strip_cmake_comments(open(os.path.join(dirpath, "CMakeLists.txt"), encoding="utf-8").read())
        variables = cmake_variables(text)
        folder = os.path.relpath(dirpath, root)
        first = True
        for args in cmake_calls(text, "dolphin_add_library"):
            toks = expand(args.split(), variables)
            if "NAME" not in toks or toks.index("NAME") + 1 >= len(toks):
                fail_setup(f"{cmake_file}: dolphin_add_library without NAME")
            name = toks[toks.index("NAME") + 1]
            sources, section = [], None
            for t in toks:
                if t in ("NAME", "SOURCES", "PUBLIC_DEPS", "PRIVATE_DEPS"):
                    section = t
                elif section == "SOURCES":
                    sources.append(t)
            links = dolphin_links(t for t in toks if t != f"dolphin::{name}")
            for tl in cmake_calls(text, "target_link_libraries"):
                tl_toks = expand(tl.split(), variables)
                if tl_toks and tl_toks[0] == f"dolphin_{name}":
                    links |= dolphin_links(tl_toks[1:])
            links.discard(name)
            if name in libs:
                fail_setup(f"{cmake_file}: library {name} defined twice (also in {libs[name].cmake_file})")
            libs[name] = Library(name, folder, sources, links, cmake_file, first)
            first = False
    return libs


def owner_of(lib_group, path_in_folder):
    """Which library of one folder owns a file (header or source) at path_in_folder."""
    stem = os.path.splitext(os.path.basename(path_in_folder))[0]
    impl = f"src/{stem}.cc"
    for lib in lib_group:
        if impl in lib.sources or path_in_folder in lib.sources:
            return lib
    return next(lib for lib in lib_group if lib.first)


def files_under(root, folder, sub, exts):
    base = os.path.join(root, folder, sub)
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        # A nested library folder (libs/contract/arrow) has its own CMakeLists.txt.
        dirnames[:] = sorted(d for d in dirnames
                             if not os.path.exists(os.path.join(dirpath, d, "CMakeLists.txt")))
        for f in sorted(filenames):
            if f.endswith(exts):
                out.append(os.path.relpath(os.path.join(dirpath, f), os.path.join(root, folder)))
    return out


INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    table = parse_table(root)
    libs = find_libraries(root)
    if not libs:
        fail_setup(f"no dolphin_add_library() in {root}/libs")
    problems = []

    by_folder = {}
    for lib in libs.values():
        by_folder.setdefault(lib.folder, []).append(lib)

    # Public headers: include path -> owning library; files to check per library.
    header_owner = {}
    files_of = {name: [] for name in libs}
    src_dirs = {}  # absolute src dir -> library name
    for folder, group in by_folder.items():
        for h in files_under(root, folder, "include", (".h",)):
            lib = owner_of(group, h)
            header_owner[os.path.relpath(h, "include")] = lib.name
            files_of[lib.name].append(os.path.join(folder, h))
        for s in files_under(root, folder, "src", (".h", ".cc")):
            lib = owner_of(group, s)
            files_of[lib.name].append(os.path.join(folder, s))
        src_dirs[os.path.realpath(os.path.join(root, folder, "src"))] = group

    # The table and the libraries agree.
    for name, lib in sorted(libs.items()):
        if name not in table:
            problems.append(f"{lib.cmake_file}: library {name} has no row in {DOC} §2 "
                            f"(add '| `{name}` | <allowed links> | ... |' to the table)")
    for name, (allowed, line) in sorted(table.items()):
        if name.startswith("apps/"):
            continue
        if name not in libs:
            problems.append(f"{DOC}:{line}: the table has a row for {name}, but no "
                            f"dolphin_add_library(NAME {name}) exists under libs/")
        for a in sorted(allowed or ()):
            if a not in libs:
                problems.append(f"{DOC}:{line}: row {name} allows {a}, which is not a library")

    def allowed_for(name):
        allowed, _ = table.get(name, (set(), 0))
        return allowed

    # CMake links.
    for name, lib in sorted(libs.items()):
        if name not in table:
            continue
        allowed = allowed_for(name)
        for dep in sorted(lib.links):
            if allowed is not None and dep not in allowed:
                problems.append(f"{lib.cmake_file}: {name} links dolphin::{dep}, which its row in "
                                f"{DOC} §2 does not allow (allowed: {', '.join(sorted(allowed)) or 'none'})")

    def private_include(rel_file, inc, own_group):
        """The library whose src/ `inc` (included from rel_file) lands in, when it is not ours."""
        candidates = [os.path.join(root, os.path.dirname(rel_file), inc), os.path.join(root, inc)]
        for c in candidates:
            real = os.path.realpath(c)
            for src_dir, group in src_dirs.items():
                if real.startswith(src_dir + os.sep) and group is not own_group:
                    return group[0].folder
        if re.search(r"(^|/)libs/[^/]+(/[^/]+)?/src/", inc):
            return inc
        return None

    def check_file(rel_file, name, own_group):
        try:
            text = open(os.path.join(root, rel_file), encoding="utf-8", errors="replace").read()
        except OSError:
            return
        allowed = allowed_for(name) if name else None
        for lineno, line in enumerate(text.splitlines(), 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            inc = m.group(1)
            where = f"{rel_file}:{lineno}"
            target = private_include(rel_file, inc, own_group)
            if target is not None:
                problems.append(f"{where}: includes \"{inc}\", a private (src/) file of {target}")
                continue
            if not inc.startswith("dolphin/") or name is None:
                continue
            owner = header_owner.get(inc)
            if owner is None:
                if not inc.startswith("dolphin/testing/"):
                    problems.append(f"{where}: includes \"{inc}\", which is no library's public header")
                continue
            if owner == name or allowed is None:
                continue
            if owner not in allowed:
                problems.append(f"{where}: {name} includes \"{inc}\" of {owner}, which its row in "
                                f"{DOC} §2 does not allow")

    for name, lib in sorted(libs.items()):
        if name not in table:
            continue
        for f in files_of[name]:
            check_file(f, name, by_folder[lib.folder])
    # apps/: any library's public headers, never a library's src/.
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "apps")):
        dirnames.sort()
        for f in sorted(filenames):
            if f.endswith((".h", ".cc")):
                check_file(os.path.relpath(os.path.join(dirpath, f), root), None, None)

    if problems:
        print(f"layering check: {len(problems)} problem(s) against the table in {DOC} §2:")
        for p in problems:
            print(p)
        return 1
    print(f"layering check: clean ({len(libs)} libraries, {len(header_owner)} public headers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
