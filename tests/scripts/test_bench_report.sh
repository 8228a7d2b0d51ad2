#!/usr/bin/env bash
# Test of the benchmark's report (bench/report.sh, bench/summary.awk).
# First the summary on made-up rounds: medians, the best peer (highest, or
# lowest where lower is better), portico/peer as the median of the
# per-round ratios (not the ratio of the medians), their range, the
# calibration between the two best peers, portico/floor, the CPU ratios, a
# failed server, the chart's data, and the rotation of the servers between
# rounds. Then the HTML report (chart_svg, md_html, report_html) on a
# made-up report: the page parses, its SVG is well-formed XML with one bar
# per server that ran and "failed" for one that did not, each case scaled
# to its own largest value, names escaped, and the markdown table comes out
# as an HTML table with its right-aligned columns.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../bench/lib.sh
. "$here/../../bench/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- summary
fail=0
# expect WHAT WANT GOT: notes a failure when GOT is not WANT.
expect() {
    [ "$2" = "$3" ] && return 0
    printf 'test_bench_report: %s:\n  want: %s\n  got:  %s\n' "$1" "$2" "$3"
    fail=1
}
printf '1k\treq/s\thi\tGET /1k.bin\nidle\tB/conn\tlo\tidle connections\n' >"$tmp/meta"
{
    # portico/nginx per round: 0.5, 2, 0.5 (median 0.5; the medians' ratio is 1)
    printf '1k\tportico\t%s\n' '1	100	5' '2	300	6' '3	200	7'
    printf '1k\tnginx\t%s\n' '1	200	10' '2	150	3' '3	400	7'
    printf '1k\th2o\t%s\n' '1	100	9' '2	100	9' '3	100	9'
    printf '1k\tfloor\t%s\n' '1	400	2' '2	600	2' '3	800	2'
    printf 'idle\t%s\t1\t%s\t\n' portico 1000 nginx 500 caddy 2000 h2o ''
} >"$tmp/results"
printf 'idle\tnginx\tRSS a -> b\n' >"$tmp/notes"
summarize "$tmp/meta" "$tmp/results" "$tmp/notes" >"$tmp/summary"
expect "1k summary" \
    "| 1k | req/s | higher | 200 | 6.00 | nginx | 200 | 7.00 | 0.50 | 0.50-2.00 | 1.00 | nginx/h2o 2.00 (1.50-4.00) | 0.25 | 3.00 |" \
    "$(grep '^| 1k | req/s' "$tmp/summary")"
expect "idle summary (lower is better)" \
    "| idle | B/conn | lower | 1000 | - | nginx | 500 | - | 2.00 | 2.00-2.00 | - | nginx/caddy 0.25 (0.25-0.25) | - | - |" \
    "$(grep '^| idle | B/conn' "$tmp/summary")"
expect "a server's line" "| 1k | nginx | 200 req/s | 150-400 | 7.00 | 3.00-10.00 | 0.50 |  |" \
    "$(grep '^| 1k | nginx |' "$tmp/summary")"
expect "a failed server" "| idle | h2o | failed | - | - | - | - |  |" "$(grep '^| idle | h2o |' "$tmp/summary")"
expect "a note" "| idle | nginx | 500 B/conn | 500-500 | - | - | 2.00 | RSS a -> b |" "$(grep '^| idle | nginx |' "$tmp/summary")"
expect "chart data" "$(printf '1k\tGET /1k.bin\t%s\n' 'portico	6.00' 'nginx	7.00' 'h2o	9.00' 'floor	2.00')" \
    "$(chart_data "$tmp/meta" "$tmp/results")"
expect "round 1's order" "a b c" "$(rotated 1 a b c | xargs)"
expect "round 3's order" "c a b" "$(rotated 3 a b c | xargs)"
expect "round 5's order" "b c a" "$(rotated 5 a b c | xargs)"

# ---------------------------------------------------------------- HTML
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
[ $fail -eq 0 ] || rc=1
if [ $rc -eq 0 ]; then echo "test_bench_report: ok"; else echo "test_bench_report: FAILED"; fi
exit $rc
