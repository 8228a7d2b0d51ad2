#!/usr/bin/env python3
"""Checks a Prometheus text exposition (format 0.0.4) strictly, for
integration/test_status.sh.

    promcheck.py FILE [--prefix portico_]

Every line must be one of
    # HELP name text          (text: escapes \\\\ and \\n only)
    # TYPE name counter|gauge
    name value                or  name{label="value",...} value
with valid metric and label names, label values escaped as the format
says (\\\\, \\" and \\n only), and a value Go's ParseFloat would take (or
NaN, +Inf, -Inf), optionally followed by an integer timestamp. No blank
line, no other comment. Each family has one HELP and one TYPE, both before
its first sample; its samples come together (no other family between
them); no series twice; names start with the prefix; a counter's name ends
in _total and a gauge's does not; a counter is a finite number >= 0.

Prints one problem a line (file:line: message) and exits 1, or prints the
number of families and samples and exits 0.
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
LABEL_VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
LABEL = LABEL_NAME + r"=" + LABEL_VALUE
FLOAT = r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[Nn]a[Nn]|[Ii]nf|\+Inf|-Inf)"
SAMPLE = re.compile(
    r"(?P<name>" + NAME + r")"
    r"(?:\{(?P<labels>(?:" + LABEL + r"(?:," + LABEL + r")*,?)?)\})?"
    r" (?P<value>" + FLOAT + r")(?: -?\d+)?$"
)
HELP = re.compile(r"# HELP (?P<name>" + NAME + r") (?P<text>(?:[^\\]|\\[\\n])*)$")
TYPE = re.compile(r"# TYPE (?P<name>" + NAME + r") (?P<type>counter|gauge)$")
ONE_LABEL = re.compile(r"(" + LABEL_NAME + r")=(" + LABEL_VALUE + r")")


def check(text, prefix):
    problems = []
    help_of, type_of, sampled = {}, {}, set()
    series = set()
    current = None  # the family whose samples come now
    if text and not text.endswith("\n"):
        problems.append((text.count("\n") + 1, "the last line has no newline"))
    for no, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        def bad(msg):
            problems.append((no, msg + ": " + repr(line[:120])))

        if line.startswith("#"):
            m = HELP.match(line) or TYPE.match(line)
            if not m:
                bad("a comment that is neither '# HELP name text' nor '# TYPE name counter|gauge'")
                continue
            name = m.group("name")
            kind = "HELP" if line.startswith("# HELP") else "TYPE"
            seen = help_of if kind == "HELP" else type_of
            if name in seen:
                bad(kind + " twice for " + name)
            if name in sampled:
                bad(kind + " after samples of " + name)
            seen[name] = m.group("text") if kind == "HELP" else m.group("type")
            if kind == "HELP" and not m.group("text").strip():
                bad("empty HELP text")
            current = name
            continue
        m = SAMPLE.match(line)
        if not m:
            bad("not a sample 'name{labels} value'")
            continue
        name, labels, value = m.group("name"), m.group("labels") or "", m.group("value")
        if name not in help_of or name not in type_of:
            bad("a sample of " + name + " before its HELP and TYPE")
        if name != current:
            bad("a sample of " + name + " outside its family's group")
        sampled.add(name)
        pairs = ONE_LABEL.findall(labels)
        names = [k for k, _ in pairs]
        if len(set(names)) != len(names):
            bad("a label twice")
        if any(k.startswith("__") for k in names):
            bad("a reserved label name")
        key = (name, tuple(sorted(pairs)))
        if key in series:
            bad("the same series twice")
        series.add(key)
        if type_of.get(name) == "counter":
            v = float(value)
            if math.isnan(v) or math.isinf(v) or v < 0:
                bad("a counter that is not a finite number >= 0")
    for name in set(help_of) | set(type_of):
        if not name.startswith(prefix):
            problems.append((0, name + " does not start with " + prefix))
        if name not in type_of or name not in help_of:
            problems.append((0, name + " lacks HELP or TYPE"))
        if name not in sampled:
            problems.append((0, name + " has no sample"))
        if (type_of.get(name) == "counter") != name.endswith("_total"):
            problems.append((0, name + ": a counter's name ends in _total, only a counter's"))
    return problems, len(type_of), len(series)


def main():
    args = sys.argv[1:]
    prefix = "portico_"
    if "--prefix" in args:
        i = args.index("--prefix")
        prefix = args[i + 1]
        del args[i : i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    with open(args[0], encoding="utf-8") as f:  # not UTF-8: an exception, a failure
        text = f.read()
    problems, families, samples = check(text, prefix)
    for no, msg in problems:
        print("%s:%d: %s" % (args[0], no, msg))
    if problems:
        sys.exit(1)
    print("%d families, %d samples" % (families, samples))


if __name__ == "__main__":
    main()
