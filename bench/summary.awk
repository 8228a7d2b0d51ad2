# bench/summary.awk -- the tables of the benchmark's report; see summarize
# in bench/report.sh: awk -F '\t' -v notes=NOTES -f summary.awk META RESULTS
function sortn(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function list(str, a,   n, i) { n = split(str, a, " "); for (i = 1; i <= n; i++) a[i] += 0; sortn(a, n); return n }
function med(str,   a, n) { n = list(str, a); if (!n) return ""; return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function rng(str,   a, n) { n = list(str, a); return n ? num(a[1]) "-" num(a[n]) : "-" }
function num(x) { if (x == "") return "-"; x += 0; return (x >= 100 || x <= -100) ? sprintf("%.0f", x) : sprintf("%.2f", x) }
# per-round ratios of server p to server b in case c, space-separated
function ratios(c, p, b) { return ratios_of(val, c, p, b) }
# the same of their CPU us per request
function cpu_ratios(c, p, b) { return ratios_of(cpu, c, p, b) }
function ratios_of(v, c, p, b,   k, r, out) {
    out = ""
    for (k = 1; k <= nr[c]; k++) {
        r = rnd[c, k]
        if (((c, p, r) in v) && ((c, b, r) in v) && v[c, b, r] + 0 != 0)
            out = out " " v[c, p, r] / v[c, b, r]
    }
    return out
}
function rat(str) { return str == "" ? "-" : sprintf("%.2f", med(str)) }
function rrng(str,   a, n) { n = list(str, a); return n ? sprintf("%.2f-%.2f", a[1], a[n]) : "-" }
# the peers of case c (neither portico nor floor) best first into pk[]; their count
function peers(c,   i, j, s, n, t) {
    n = 0
    for (i = 1; i <= ns[c]; i++) {
        s = srv[c, i]
        if (s == "portico" || s == "floor" || vals[c, s] == "") continue
        pk[++n] = s
        for (j = n; j > 1 && worse(c, pk[j - 1], pk[j]); j--) { t = pk[j]; pk[j] = pk[j - 1]; pk[j - 1] = t }
    }
    return n
}
function worse(c, a, b) { return better[c] == "lo" ? med(vals[c, a]) > med(vals[c, b]) : med(vals[c, a]) < med(vals[c, b]) }
FILENAME == ARGV[1] { order[++ncase] = $1; unit[$1] = $2; better[$1] = $3; next }
{
    c = $1; s = $2; r = $3
    if (!((c, s) in seen)) { seen[c, s] = 1; srv[c, ++ns[c]] = s }
    if (!((c, r) in hasr)) { hasr[c, r] = 1; rnd[c, ++nr[c]] = r }
    if ($4 != "") { val[c, s, r] = $4; vals[c, s] = vals[c, s] " " $4 }
    if ($5 != "") { cpu[c, s, r] = $5; cpus[c, s] = cpus[c, s] " " $5 }
}
# the summary: a line a case
function summary_table(   i, c, n, b, cal) {
    print "| case | unit | better | portico | CPU us | best peer | its value | CPU us | portico/peer | range | CPU portico/peer | calibration: peer/peer | portico/floor | CPU portico/floor |"
    print "|------|------|--------|--------:|-------:|-----------|----------:|-------:|-------------:|------:|-----------------:|------------------------|--------------:|------------------:|"
    for (i = 1; i <= ncase; i++) {
        c = order[i]; n = peers(c); b = n ? pk[1] : ""
        cal = n > 1 ? pk[1] "/" pk[2] " " rat(ratios(c, pk[1], pk[2])) " (" rrng(ratios(c, pk[1], pk[2])) ")" : "-"
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c, unit[c], better[c] == "lo" ? "lower" : "higher",
            num(med(vals[c, "portico"])), num(med(cpus[c, "portico"])), b == "" ? "-" : b, num(med(vals[c, b])),
            num(med(cpus[c, b])), rat(ratios(c, "portico", b)), rrng(ratios(c, "portico", b)), rat(cpu_ratios(c, "portico", b)),
            cal, rat(ratios(c, "portico", "floor")), rat(cpu_ratios(c, "portico", "floor"))
    }
}
# a line a case and server
function server_table(   i, c, k, s) {
    print "| case | server | value | range | CPU us/req | CPU range | portico/server | notes |"
    print "|------|--------|------:|------:|-----------:|----------:|---------------:|-------|"
    for (i = 1; i <= ncase; i++) {
        c = order[i]
        for (k = 1; k <= ns[c]; k++) {
            s = srv[c, k]
            if (vals[c, s] == "") { printf "| %s | %s | failed | - | - | - | - | %s |\n", c, s, note[c, s]; continue }
            printf "| %s | %s | %s %s | %s | %s | %s | %s | %s |\n", c, s, num(med(vals[c, s])), unit[c], rng(vals[c, s]),
                num(med(cpus[c, s])), rng(cpus[c, s]), s == "portico" ? "-" : rat(ratios(c, "portico", s)), note[c, s]
        }
    }
}
END {
    while ((getline line < notes) > 0) { split(line, f, "\t"); note[f[1], f[2]] = f[3] }
    summary_table()
    print ""
    server_table()
}
