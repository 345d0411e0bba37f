#!/usr/bin/env python3
# Documentation coverage of the public API and the plugin ABI (TAP).
#
# Every public name must have a gtk-doc comment (README.md: the API
# reference is generated from them, and a symbol without one is missing
# from it or shown without a word). "Public" is what a user can reach:
#
#  - every name the public headers (plugin-api/furlhint/*.h, the generated
#    ones included) declare: functions, macros, types, enumeration values
#    and struct fields, callbacks and their parameters;
#  - every symbol libfurlhint.so exports.
#
# A function's comment must have a description (not just "Returns:"),
# every parameter and, unless it returns void, "Returns:"; an enumeration
# names every value, a struct every field. Exported symbols must be
# declared in a public header, and declared functions exported. This
# covers what `gi-docgen check` (which `make docs` runs on the GIR) does
# not see: the error-domain macros (the plugin ABI's FURLHINT_HINT_ERROR
# among them) and GType macros, which the GIR leaves out, and struct
# fields, which gi-docgen check does not look at. It needs neither
# gi-docgen nor introspection and runs in every `make check`.
#
#   doc-coverage.py                  the test (paths from the test
#                                    environment, NM from make)
#   doc-coverage.py --gir GIR --abi-page OUT
#                                    writes the reference's index page of
#                                    the plugin ABI (docs/furlhint.toml.in)
#   doc-coverage.py --gir GIR --doc-gir OUT
#                                    writes the GIR gi-docgen renders: GIR
#                                    with the docs of the descriptor's
#                                    callbacks, which g-ir-scanner drops
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import argparse
import glob
import os
import re
import shlex
import subprocess
import sys

IDENT = re.compile(r"[A-Za-z_]\w*")
# Names a user sees: the library's and the plugin ABI's.
PUBLIC = re.compile(r"^(furlhint_|FurlHint|FURLHINT_)")


class DocBlock:
    def __init__(self, name, path, line):
        self.name = name
        self.path = path
        self.line = line
        self.params = {}  # name: its text
        self.has_description = False
        self.has_returns = False
        self.first_sentence = ""


def parse_doc_blocks(path, text):
    """The gtk-doc comments (/** NAME: ...) of a file, by name."""
    blocks = {}
    for m in re.finditer(r"/\*\*[ \t]*\n(.*?)\*/", text, re.S):
        lines = [re.sub(r"^\s*\* ?", "", l) for l in m.group(1).split("\n")]
        head = re.match(r"\s*([A-Za-z_][\w]*):", lines[0]) if lines else None
        if head is None:
            continue
        block = DocBlock(head.group(1), path, text.count("\n", 0, m.start()) + 1)
        item = None  # "param", "returns" or None (description)
        description = []
        for line in lines[1:]:
            if not line.strip():
                item = None
                continue
            p = re.match(r"@(\w+|\.\.\.):\s*(.*)", line)
            if p:
                param = p.group(1)
                block.params[param] = p.group(2)
                item = "param"
            elif re.match(r"(Returns|Return value):", line):
                block.has_returns = True
                item = "returns"
            elif re.match(r"(Since|Deprecated|Stability):", line):
                item = "tag"
            elif item is not None and line[:1].isspace():
                if item == "param":  # continuation of a parameter
                    block.params[param] += " " + line.strip()
            else:
                item = None
                description.append(line.strip())
        if description:
            block.has_description = True
            text_ = " ".join(description)
            block.first_sentence = re.split(r"(?<=\.)\s+(?=[A-Z#%`(@])", text_, 1)[0]
        blocks[block.name] = block
    return blocks


def strip_comments(text):
    """Comments replaced by spaces (line numbers kept)."""
    return re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def split_top_level(text, sep):
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def param_names(plist):
    """Parameter names of a C parameter list ("void" and unnamed: none)."""
    names = []
    for p in split_top_level(plist, ","):
        p = p.strip()
        if not p or p == "void":
            continue
        if p == "...":
            names.append("...")
            continue
        fp = re.search(r"\(\s*\*\s*(\w+)\s*\)", p)
        if fp:
            names.append(fp.group(1))
            continue
        ids = IDENT.findall(re.sub(r"\[.*?\]", "", p))
        if len(ids) >= 2:
            names.append(ids[-1])
    return names


def paren_group(text, start):
    """The text inside the parenthesis opening at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    raise ValueError("unbalanced parentheses")


class Symbol:
    """One public name a header declares, and what its comment must cover."""

    def __init__(self, name, kind, header, line, params=(), returns=False,
                 members=()):
        self.name = name
        self.kind = kind
        self.header = header
        self.line = line
        self.params = list(params)
        self.returns = returns
        self.members = list(members)


def header_symbols(path):
    raw = open(path, encoding="utf-8").read()
    header = os.path.basename(path)
    text = strip_comments(raw)
    symbols = []

    def lineno(pos):
        return text.count("\n", 0, pos) + 1

    # Preprocessor lines (with continuations) out, macros recorded.
    guard = None
    body = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        full = lines[i]
        start = i
        while full.endswith("\\") and i + 1 < len(lines):
            i += 1
            full = full[:-1] + " " + lines[i]
        s = full.strip()
        m = re.match(r"#\s*ifndef\s+(\w+)\s*$", s)
        if m and guard is None:
            guard = m.group(1)
        m = re.match(r"#\s*define\s+(\w+)(\()?", s)
        if m and m.group(1) != guard and PUBLIC.match(m.group(1)) \
                and m.group(1) != "FURLHINT_INSIDE":
            params = []
            if m.group(2):
                params = param_names_macro(s[m.end() - 1:])
            symbols.append(Symbol(m.group(1), "macro", header, start + 1, params=params))
        if s.startswith("#") or re.match(r"G_(BEGIN|END)_DECLS$", s) \
                or re.match(r"G_DEFINE_AUTO\w*\s*\(", s):
            body.append(" " * len(full))
        else:
            body.append(full)
        for _ in range(i - start):
            body.append("")
        i += 1
    text = "\n".join(body)

    offset = 0
    for decl in split_top_level(text, ";"):
        here = offset
        offset += len(decl) + 1
        d = decl.strip()
        if not d:
            continue
        at = lineno(here + len(decl) - len(decl.lstrip()))
        if d.startswith("typedef"):
            if "{" in d:
                inner = d[d.index("{") + 1:d.rindex("}")]
                name = IDENT.findall(d[d.rindex("}") + 1:])[-1]
                if re.match(r"typedef\s+enum\b", d):
                    members = [IDENT.match(v.strip()).group(0)
                               for v in split_top_level(inner, ",") if v.strip()]
                    symbols.append(Symbol(name, "enum", header, at, members=members))
                else:
                    fields = []
                    for f in split_top_level(inner, ";"):
                        if not f.strip():
                            continue
                        fp = re.search(r"\(\s*\*\s*(\w+)\s*\)", f)
                        fields.append(fp.group(1) if fp else
                                      IDENT.findall(re.sub(r"\[.*?\]", "", f))[-1])
                    symbols.append(Symbol(name, "struct", header, at, members=fields))
            else:
                fp = re.search(r"\(\s*\*\s*(\w+)\s*\)\s*\(", d)
                if fp:
                    plist = paren_group(d, fp.end() - 1)
                    returns = not re.match(r"typedef\s+void\s*\(", d)
                    symbols.append(Symbol(fp.group(1), "callback", header, at,
                                          params=param_names(plist), returns=returns))
                else:
                    symbols.append(Symbol(IDENT.findall(d)[-1], "type", header, at))
            continue
        fn = re.search(r"\b(furlhint_\w+)\s*\(", d)
        if fn:
            plist = paren_group(d, fn.end() - 1)
            rtype = d[:fn.start()]
            returns = not re.fullmatch(r"\s*(extern\s+)?void\s*", rtype)
            symbols.append(Symbol(fn.group(1), "function", header, at,
                                  params=param_names(plist), returns=returns))
            continue
        raise SystemExit(f"{path}:{at}: cannot tell what this declares: {d[:80]!r}")
    return symbols


def param_names_macro(s):
    return [p.strip() for p in paren_group(s, 0).split(",") if p.strip()]


def check_symbol(sym, blocks):
    """What sym's comment lacks, as messages (none: documented)."""
    where = f"{sym.header}:{sym.line}"
    block = blocks.get(sym.name)
    if block is None:
        return [f"{where}: {sym.kind} {sym.name} has no gtk-doc comment (/** {sym.name}: ... */)"]
    problems = []
    if not block.has_description:
        problems.append(f"{where}: {sym.name}: the comment has no description "
                        f"(a sentence saying what it is or does, besides the tags)")
    missing = [p for p in sym.params if p not in block.params]
    if missing:
        problems.append(f"{where}: {sym.name}: parameters not documented: "
                        + ", ".join("@" + p for p in missing))
    if sym.returns and not block.has_returns and sym.kind in ("function", "callback"):
        problems.append(f"{where}: {sym.name}: the return value is not documented (Returns:)")
    missing = [m for m in sym.members if m not in block.params]
    if missing:
        what = "values" if sym.kind == "enum" else "fields"
        problems.append(f"{where}: {sym.name}: {what} not documented: "
                        + ", ".join("@" + m for m in missing))
    return problems


def exported_symbols(nm, builddir):
    so = os.path.join(builddir, "core", ".libs", "libfurlhint.so")
    if os.path.exists(so):
        cmd = shlex.split(nm) + ["-D", "--defined-only", so]
    else:
        # --disable-shared: the archive's global definitions.
        cmd = shlex.split(nm) + ["-g", "--defined-only",
                                 os.path.join(builddir, "core", ".libs", "libfurlhint.a")]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.split("\n"):
        f = line.split()
        if len(f) >= 3 and f[1] in "TDRBVW" and f[2].startswith("furlhint_"):
            names.add(f[2])
    return names


def public_headers(srcdir, builddir):
    seen = {}
    for d in (srcdir, builddir):
        for path in sorted(glob.glob(os.path.join(d, "plugin-api", "furlhint", "*.h"))):
            seen.setdefault(os.path.basename(path), path)
    return [seen[k] for k in sorted(seen)]


def all_doc_blocks(srcdir, headers):
    """Comments of the headers and of the library's sources (g-ir-scanner
    reads both; a function may be documented where it is defined)."""
    blocks = {}
    for path in sorted(glob.glob(os.path.join(srcdir, "core", "*.c"))) + headers:
        blocks.update(parse_doc_blocks(path, open(path, encoding="utf-8").read()))
    return blocks


def abi_page(srcdir, gir_path, out):
    """The reference's index of plugin.h, with links gi-docgen resolves."""
    import xml.etree.ElementTree as ET
    ns = {"c": "http://www.gtk.org/introspection/c/1.0",
          "core": "http://www.gtk.org/introspection/core/1.0",
          "glib": "http://www.gtk.org/introspection/glib/1.0"}
    C = "{%s}" % ns["c"]
    GLIB = "{%s}" % ns["glib"]
    links = {}
    root = ET.parse(gir_path).getroot()
    namespace = root.find("core:namespace", ns)
    nsname = namespace.get("name")
    kinds = {"record": "struct", "enumeration": "enum", "bitfield": "flags",
             "callback": "callback", "constant": "const", "function-macro": "func",
             "function": "func"}
    for el in namespace:
        tag = el.tag.split("}")[1]
        if tag not in kinds:
            continue
        kind = kinds[tag]
        if tag == "enumeration" and el.get(GLIB + "error-domain"):
            kind = "error"
        cname = el.get(C + "type") or el.get(C + "identifier")
        if not cname:
            continue
        links[cname] = f"[{kind}@{nsname}.{el.get('name')}]"
    path = os.path.join(srcdir, "plugin-api", "furlhint", "plugin.h")
    blocks = parse_doc_blocks(path, open(path, encoding="utf-8").read())
    symbols = sorted(header_symbols(path), key=lambda sym: sym.line)
    with open(out, "w", encoding="utf-8") as f:
        f.write("Title: The plugin ABI (plugin.h)\n\n")
        f.write("# The plugin ABI (plugin.h)\n\n")
        f.write("`<furlhint/plugin.h>` is the whole contract between libfurlhint and a\n"
                "transport plugin: a plugin includes only it, links only GLib/GIO and\n"
                "exports one #FurlHintPluginDescriptor, declared with\n"
                "FURLHINT_PLUGIN_DEFINE(). Fields are only ever appended: `struct_size`\n"
                "tells the host what a plugin has. The plugin guide walks through\n"
                "writing one; `furlhint-plugin-check` tests one.\n\n")
        f.write("## Names\n\nIn the order the header declares them.\n\n")
        for sym in symbols:
            block = blocks.get(sym.name)
            summary = block.first_sentence if block else ""
            ref = links.get(sym.name, f"`{sym.name}`")
            f.write(f"- {ref}: {summary}\n")


def doc_gir(srcdir, builddir, gir_in, gir_out):
    """A copy of the GIR for gi-docgen with the documentation of the
    function-pointer fields (the plugin descriptor's callbacks), which
    g-ir-scanner drops, put back from the headers."""
    import xml.etree.ElementTree as ET
    core = "http://www.gtk.org/introspection/core/1.0"
    c = "http://www.gtk.org/introspection/c/1.0"
    glib = "http://www.gtk.org/introspection/glib/1.0"
    for prefix, uri in (("", core), ("c", c), ("glib", glib)):
        ET.register_namespace(prefix, uri)
    headers = public_headers(srcdir, builddir)
    blocks = all_doc_blocks(srcdir, headers)
    tree = ET.parse(gir_in)
    for record in tree.getroot().iter("{%s}record" % core):
        block = blocks.get(record.get("{%s}type" % c))
        if block is None:
            continue
        for field in record.findall("{%s}field" % core):
            text = block.params.get(field.get("name"))
            if field.find("{%s}doc" % core) is not None or not text:
                continue
            text = text.replace("*", "\\*")  # C's pointers, not Markdown's emphasis
            annotations = re.match(r"((?:\([^)]*\)\s*)+):\s*", text)
            if annotations:
                text = text[annotations.end():] + f" `{annotations.group(1).strip()}`"
            doc = ET.Element("{%s}doc" % core)
            doc.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            # Where the text comes from, as g-ir-scanner writes it.
            doc.set("filename", os.path.relpath(block.path, srcdir))
            doc.set("line", str(block.line))
            doc.text = text
            field.insert(0, doc)
    tree.write(gir_out, encoding="UTF-8", xml_declaration=True)


def tap_result(n, problems, failing, passing):
    """Prints TAP result @n: "not ok N - FAILING" and a "# " line for each
    problem, or "ok N - PASSING" when there is none. Returns 1 when it
    failed, else 0."""
    if problems:
        print(f"not ok {n} - {failing}")
        for p in problems:
            print(f"# {p}")
        return 1
    print(f"ok {n} - {passing}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcdir")
    ap.add_argument("--builddir")
    ap.add_argument("--abi-page", metavar="OUT")
    ap.add_argument("--gir")
    ap.add_argument("--doc-gir", metavar="OUT")
    args = ap.parse_args()
    srcdir = args.srcdir or os.path.dirname(os.environ["G_TEST_SRCDIR"])
    builddir = args.builddir or os.path.dirname(os.environ["G_TEST_BUILDDIR"])

    if args.abi_page:
        abi_page(srcdir, args.gir, args.abi_page)
        return 0
    if args.doc_gir:
        doc_gir(srcdir, builddir, args.gir, args.doc_gir)
        return 0

    headers = public_headers(srcdir, builddir)
    blocks = all_doc_blocks(srcdir, headers)
    declared = {}
    n = 0
    failed = 0
    total = 0
    print(f"1..{len(headers) + 1}")
    for path in headers:
        n += 1
        syms = header_symbols(path)
        problems = []
        for sym in syms:
            declared[sym.name] = sym
            problems += check_symbol(sym, blocks)
        names = len(syms) + sum(len(s.members) for s in syms)
        total += names
        header = os.path.basename(path)
        failed += tap_result(n, problems, f"{header}: {len(problems)} undocumented",
                             f"{header}: {len(syms)} symbols and "
                             f"{names - len(syms)} values/fields documented")

    n += 1
    exports = exported_symbols(os.environ.get("NM") or "nm", builddir)
    functions = {s.name for s in declared.values() if s.kind == "function"}
    problems = [f"libfurlhint exports {e}, which no public header declares "
                f"(declare and document it, or keep it out of the exports: "
                f"-export-symbols-regex in Makefile.am)"
                for e in sorted(exports - functions)]
    problems += [f"{declared[f].header}:{declared[f].line}: {f} is declared but "
                 f"libfurlhint does not export it" for f in sorted(functions - exports)]
    failed += tap_result(n, problems, "exports of libfurlhint",
                         f"libfurlhint exports {len(exports)} symbols, each declared "
                         f"in a public header and documented")
    print(f"# {total} public names in {len(headers)} headers")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
