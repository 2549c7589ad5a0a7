#!/usr/bin/env bash
# Regenerates the jextract binding in src/main/java/io/github/rseq4j/internal/binding
# from native-headers/rseq4j.h and native-headers/jextract.args (see native-headers/README.md).
#
# Usage: native-headers/regenerate.sh [--output DIR]
#   --output DIR  generate into DIR instead of src/main/java (the source tree is left untouched);
#                 used by BindingRegenerationTest to compare against the committed files.
# jextract is taken from $JEXTRACT if set, else from PATH.
set -euo pipefail

usage() { echo "usage: $0 [--output DIR]" >&2; exit 2; }

out_dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --output) [[ $# -ge 2 ]] || usage; out_dir="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
if [[ -n "$out_dir" ]]; then
  mkdir -p "$out_dir"
  out_dir="$(cd "$out_dir" && pwd)"   # absolute, before we change directory
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."

jextract_cmd="${JEXTRACT:-jextract}"
if ! command -v "$jextract_cmd" >/dev/null 2>&1; then
  echo "error: jextract not found (looked for '${jextract_cmd}'); put it on PATH or set JEXTRACT=/path/to/jextract" >&2
  echo "       see native-headers/README.md for the jextract and libclang versions in use" >&2
  exit 1
fi

package_dir="io/github/rseq4j/internal/binding"
target_root="${out_dir:-src/main/java}"

# Generate into a scratch directory first so a failing jextract run leaves the target untouched.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# The later --output overrides the one in jextract.args.
"$jextract_cmd" @native-headers/jextract.args --output "$scratch" native-headers/rseq4j.h

rm -rf "${target_root:?}/${package_dir}"
mkdir -p "${target_root}/${package_dir}"
cp "$scratch/${package_dir}"/*.java "${target_root}/${package_dir}/"
echo "generated $(ls "${target_root}/${package_dir}" | wc -l) files in ${target_root}/${package_dir}"
