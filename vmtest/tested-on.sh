#!/usr/bin/env bash
# Regenerates README.md's "Tested on" table from vmtest/results.md: for each arch, kernel and
# userland, the newest whole-suite row, else the newest subset row (marked as such), with the
# failures' explanation from the row's result column. Run after
# adding rows to vmtest/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(awk -F'|' '
    /^\| 20[0-9][0-9]-/ {
        for (i = 2; i <= NF; i++) { gsub(/^ +| +$/, "", $i) }
        key = $3 "|" $4 "|" $5
        rank = ($13 ~ /^all/ ? "1" : "0") $2
        if (key in best && rank < best[key]) next
        best[key] = rank
        scope = $13 ~ /^all/ ? "whole suite" : "subset"
        sub(/^FAILED:? */, "", $14)
        row[key] = sprintf("| %s | %s | %s | %s | %s / %s | %d of %d, %s (%s skipped) | %s, %s |", $3, $4, $5, $6, $7, $8, $9 - $10 - $11, $9 - $11, scope, $11, $10 == 0 ? "passed" : $10 " failed: " $14, $2)
        if (!(key in seen)) { order[n++] = key; seen[key] = 1 }
    }
    END { for (i = 0; i < n; i++) print row[order[i]] }' vmtest/results.md)
{
    echo "| arch | kernel | userland (libc) | rseq owner | feature size / alignment | tests passed | result |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "$table"
} > target/tested-on.md.tmp 2>/dev/null || { mkdir -p target; exec "$0"; }
awk -v table=target/tested-on.md.tmp '
    /<!-- tested-on:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
    /<!-- tested-on:end -->/ { skip = 0 }
    !skip' README.md > README.md.tmp
mv README.md.tmp README.md
rm -f target/tested-on.md.tmp
