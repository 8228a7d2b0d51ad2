#!/usr/bin/env bash
# Test of the benchmark's HTML report (bench/lib.sh: chart_svg, md_html,
# report_html) on a made-up report: the page parses, its SVG is well-formed
# XML with one bar per server that ran and "failed" for one that did not,
# each case scaled to its own largest value, names escaped, and the
# markdown table comes out as an HTML table with its right-aligned columns.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../bench/lib.sh
. "$here/../../bench/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '1k\tGET /1k.bin\tportico\t6.5\n1k\tGET /1k.bin\tnginx\t13\n1k\tGET /1k.bin\th2o\t\n' >"$tmp/data"
printf '1m\tGET /1m.bin & <big>\tportico\t120\n1m\tGET /1m.bin & <big>\tnginx\t60\n' >>"$tmp/data"
cat >"$tmp/report.md" <<'MD'

## portico benchmark (a test)

two lines
of text

| case | server | CPU us/req |
|------|--------|-----------:|
| 1k   | portico |      6.50 |
| 1k   | h2o     |    failed |

Warnings:
- a <warning> & more
MD
report_html "$tmp/report.html" "$tmp/report.md" "$tmp/data" "CPU us per request"
python3 - "$tmp/report.html" <<'PY'
import re, sys, xml.dom.minidom
from html.parser import HTMLParser
text = open(sys.argv[1], encoding="utf-8").read()
HTMLParser().feed(text)
svg = re.search(r"<svg.*?</svg>", text, re.S)
assert svg, "no inline SVG"
doc = xml.dom.minidom.parseString(svg.group(0))
rects = doc.getElementsByTagName("rect")
widths = {r.getElementsByTagName("title")[0].firstChild.data.split(":")[0]: float(r.getAttribute("width")) for r in rects}
assert len(rects) == 4, f"{len(rects)} bars, expected 4 (h2o failed)"
assert widths["nginx, 1k"] == 480 and widths["portico, 1k"] == 240, widths   # 1k: nginx is its largest
assert widths["portico, 1m"] == 480 and widths["nginx, 1m"] == 240, widths   # 1m: its own scale
texts = [t.firstChild.data for t in doc.getElementsByTagName("text")]
assert "failed" in texts, texts
assert "1m: GET /1m.bin & <big>" in texts, texts
assert "<table>" in text and '<td class="n">6.50</td>' in text and "<td>portico</td>" in text, "table"
assert "<li>a &lt;warning&gt; &amp; more</li>" in text, "list escaped"
assert "<h2>portico benchmark (a test)</h2>" in text and "two lines<br>" in text, "heading, paragraph"
PY
rc=$?
if [ $rc -eq 0 ]; then echo "test_bench_report: ok"; else echo "test_bench_report: FAILED"; fi
exit $rc
