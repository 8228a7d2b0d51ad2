# shellcheck shell=bash
# bench/report.sh -- the benchmark's report, sourced by bench/lib.sh:
# medians and ratios, the summary of the results (summarize), the HTML page
# with its SVG chart (report_html). Needs nothing of lib.sh.

BENCH_DIR=$(dirname "${BASH_SOURCE[0]}")

# median N...: the median of the numbers, with 3 decimals.
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{
        if (NR == 0) exit
        if (NR % 2) printf "%.3f", v[(NR+1)/2]
        else printf "%.3f", (v[NR/2] + v[NR/2+1]) / 2 }'
}

# range_of FORMAT N...: "min-max" of the numbers, each printed with the
# printf FORMAT (nothing when there are none).
range_of() {
    local fmt=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v f="$fmt" 'NR == 1 {lo = $1} {hi = $1}
        END { if (NR) printf f "-" f, lo, hi }'
}

# ratio A B: A/B with 2 decimals, or n/a.
ratio() {
    if [[ -z $1 || -z $2 ]]; then echo "n/a"; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}

# report_problems: prints the busy-machine runs, the warnings and the
# servers that failed; returns 1 if any did.
report_problems() {
    if ((${#NOISY[@]} > 0)); then
        echo
        echo "Busy machine: other load over 10% of a CPU in ${#NOISY[@]} run(s):"
        printf -- '- %s\n' "${NOISY[@]}"
    fi
    if ((${#WARNINGS[@]} > 0)); then
        echo
        echo "Warnings:"
        printf -- '- %s\n' "${WARNINGS[@]}"
    fi
    if ((${#BROKEN[@]} > 0)); then
        echo
        echo "Failed: ${!BROKEN[*]} (see messages above)"
        return 1
    fi
}

# ---------------------------------------------------------------- summary
# summarize META RESULTS [NOTES]: the markdown tables of the results.
#   META     a line a case, in the order to report: CASE<TAB>UNIT<TAB>BETTER
#            (hi or lo: which way is better)<TAB>LABEL
#   RESULTS  a line a measurement: CASE<TAB>SERVER<TAB>ROUND<TAB>VALUE<TAB>CPU
#            (CPU: server CPU us per request, may be empty)
#   NOTES    CASE<TAB>SERVER<TAB>NOTE (the last one of each is shown)
# First the summary, a line a case: portico's median value and CPU, the
# best peer (the server other than portico and floor with the best median)
# with its own, portico/best as the median of the per-round ratios (rounds
# in which both have a value) with their range, the calibration (the same
# ratio between the best peer and the second best: how much two peers move
# between rounds, i.e. the noise) and portico/floor likewise, each also of
# CPU us per request. Then a line per case and server: median and range of
# value and CPU, portico/server.
summarize() {
    awk -F '\t' -v notes="${3:-/dev/null}" -f "$BENCH_DIR/summary.awk" "$1" "$2"
}

# chart_data META RESULTS: chart_svg's data: a line per case and server,
# the median CPU us per request (empty: failed; cases without CPU figures,
# such as idle, left out).
chart_data() {
    summarize "$1" "$2" | awk -F ' *[|] *' '
        NR == FNR { label[$1] = $4; next }
        /^[|] case [|] server/ { on = 1; next }
        on && $3 !~ /^-+$/ {
            row[++n] = sprintf("%s\t%s\t%s\t%s", $2, label[$2], $3, $4 == "failed" ? "" : $6)
            kase[n] = $2
            if ($6 != "-") has_cpu[$2] = 1
        }
        END { for (i = 1; i <= n; i++) if (kase[i] in has_cpu) print row[i] }
    ' FS='\t' "$1" FS=' *[|] *' -
}

# ---------------------------------------------------------------- HTML report
# People compare servers by looking: report_html writes the report as an
# HTML page whose chart is an inline SVG (no script, no file beside it),
# made with awk alone.

# chart_svg TITLE < DATA: an SVG bar chart. DATA lines are
# "CASE<TAB>LABEL<TAB>SERVER<TAB>VALUE" (VALUE empty: the run failed), in
# the order to draw; one panel per CASE, titled "CASE: LABEL", one bar per
# SERVER, each panel on its own scale (a 1 MiB file costs far more than a
# 404: a shared scale would flatten the small cases).
chart_svg() {
    awk -v title="$1" '
    function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
    function color(s) {
        if (s == "portico") return "#b4532a"
        if (s == "nginx") return "#2f7d32"
        if (s == "h2o") return "#1f6fb2"
        if (s == "lighttpd") return "#7b4fb0"
        if (s == "caddy") return "#0f8a8a"
        if (s == "haproxy") return "#a16207"
        if (s == "floor") return "#9ca3af"
        return "#6b7280"
    }
    BEGIN { FS = "\t"; W = 720; LABEL_X = 100; BAR_X = 110; BAR_MAX = 480; ROW = 28; BAR = 18; HEAD = 30; GAP = 16 }
    NF >= 3 {
        c = $1
        if (!(c in n)) { cases[++nc] = c; label[c] = $2; n[c] = 0; max[c] = 0 }
        k = ++n[c]; srv[c, k] = $3; val[c, k] = $4
        if ($4 != "" && $4 + 0 > max[c]) max[c] = $4 + 0
    }
    END {
        h = 8
        for (i = 1; i <= nc; i++) h += HEAD + n[cases[i]] * ROW + GAP
        printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"chart-title\" font-family=\"system-ui, sans-serif\" font-size=\"13\">\n", W, h, W, h
        printf "<title id=\"chart-title\">%s</title>\n", esc(title)
        y = 8
        for (i = 1; i <= nc; i++) {
            c = cases[i]
            printf "<text x=\"0\" y=\"%d\" font-weight=\"700\" font-size=\"14\" fill=\"#1f2328\">%s: %s</text>\n", y + 18, esc(c), esc(label[c])
            y += HEAD
            for (k = 1; k <= n[c]; k++) {
                mid = y + (k - 1) * ROW + ROW / 2
                printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#1f2328\">%s</text>\n", LABEL_X, mid + 4, esc(srv[c, k])
                if (val[c, k] == "") {
                    printf "<text x=\"%d\" y=\"%d\" fill=\"#c62828\">failed</text>\n", BAR_X, mid + 4
                    continue
                }
                w = max[c] > 0 ? val[c, k] / max[c] * BAR_MAX : 0
                if (w < 1) w = 1
                printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"3\" fill=\"%s\"><title>%s, %s: %.2f µs per request</title></rect>\n", BAR_X, mid - BAR / 2, w, BAR, color(srv[c, k]), esc(srv[c, k]), esc(c), val[c, k]
                printf "<text x=\"%.1f\" y=\"%d\" fill=\"#5b6370\">%.2f µs</text>\n", BAR_X + w + 6, mid + 4, val[c, k]
            }
            y += n[c] * ROW + GAP
        }
        print "</svg>"
    }'
}

# md_html < MD: the report's markdown as HTML: "## " headings, tables
# ("| a | b |" rows; the "|---|" line ends the head, and its "---:"
# columns are right-aligned), "- " lists and paragraphs. Only what the
# bench scripts print; everything escaped.
md_html() {
    awk '
    function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    function close_all() {
        if (tbl) print "</tbody></table>"
        if (lst) print "</ul>"
        if (par) print "</p>"
        tbl = lst = par = 0
    }
    function row(line, tag,   cells, m, j, v, cls) {
        m = split(line, cells, "|")
        printf "<tr>"
        for (j = 2; j < m; j++) {
            v = trim(cells[j])
            cls = right[j] ? " class=\"n\"" : ""
            printf "<%s%s>%s</%s>", tag, cls, esc(v), tag
        }
        print "</tr>"
    }
    # The separator line: which columns are right-aligned ("---:").
    function aligns(line,   cells, m, j) {
        m = split(line, cells, "|")
        for (j = 2; j < m; j++) right[j] = trim(cells[j]) ~ /:$/
    }
    /^## / { close_all(); print "<h2>" esc(substr($0, 4)) "</h2>"; next }
    /^\|[-:| ]+\|$/ { if (tbl == 1) { aligns($0); print "</thead><tbody>"; tbl = 2 } next }
    /^\|/ {
        if (!tbl) { close_all(); split("", right); print "<table>\n<thead>"; tbl = 1 }
        row($0, tbl == 1 ? "th" : "td"); next
    }
    /^- / { if (!lst) { close_all(); print "<ul>"; lst = 1 } print "<li>" esc(substr($0, 3)) "</li>"; next }
    /^[ \t]*$/ { close_all(); next }
    { if (!par) { close_all(); printf "<p>"; par = 1 } else printf "<br>\n"; printf "%s", esc($0) }
    END { close_all() }'
}

# report_html OUT MD DATA TITLE: OUT, an HTML page: TITLE, the chart of
# DATA (see chart_svg) and the report MD (see md_html). Written whole or
# not at all.
report_html() {
    local out=$1 md=$2 data=$3 title=$4
    {
        cat <<HTML
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>portico benchmark</title>
<style>
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f7f5f0}
main{max-width:60rem;margin:0 auto;padding:1.5rem 1.25rem}
h1,h2{line-height:1.2}
figure{margin:1rem 0;padding:1rem;background:#fff;border:1px solid #e3ded4;border-radius:10px;overflow-x:auto}
figcaption{color:#5b6370;font-size:.9rem;margin-bottom:.5rem}
table{border-collapse:collapse;background:#fff;font-size:.9rem}
th,td{padding:.3rem .6rem;border:1px solid #e3ded4;text-align:left}
.n{text-align:right;font-variant-numeric:tabular-nums}
</style>
</head>
<body>
<main>
<h1>portico benchmark</h1>
<figure>
<figcaption>$title. Each case has its own scale: compare the servers within a case.</figcaption>
HTML
        chart_svg "$title" <"$data"
        echo "</figure>"
        md_html <"$md"
        printf '</main>\n</body>\n</html>\n'
    } >"$out.tmp" && mv "$out.tmp" "$out"
}
