#!/usr/bin/env bash
# Regenerates the man pages in deploy/man/ from the command-line parsers themselves, with
# swift-argument-parser's generate-manual tool (the `--help` text, options and examples of every
# subcommand): vigil(1), vigil-correlator(8), vigil-sensor(8). Run it after changing a command's
# options or help; a test (ManualTests) fails when an option or subcommand is missing from the pages.
#
#   bash scripts/make-manual.sh            # VIGIL_SCRATCH=.build-server to reuse another build folder
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${VIGIL_SCRATCH:-.build}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for product in generate-manual vigil vigil-correlator vigil-sensor; do
    swift build --scratch-path "$scratch" --product "$product" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
done
bin="$(swift build --scratch-path "$scratch" --show-bin-path)"
date="$(git log -1 --format=%cs 2>/dev/null || date +%F)"
mkdir -p deploy/man
for spec in vigil:1 vigil-correlator:8 vigil-sensor:8; do
    name="${spec%%:*}" section="${spec##*:}"
    "$bin/generate-manual" "$bin/$name" --section "$section" --date "$date" \
        --authors "the Vigil developers" --output-directory "$tmp"
    # generate-manual copies blank lines of the help text through; mdoc wants .Pp between paragraphs.
    sed -e 's/^$/.Pp/' "$tmp/$name.$section" > "deploy/man/$name.$section"
    if out="$(groff -mdoc -Tutf8 -ww -z "deploy/man/$name.$section" 2>&1)" && [ -z "$out" ]; then
        echo "deploy/man/$name.$section"
    else
        echo "deploy/man/$name.$section: groff warns:" >&2
        echo "$out" >&2
        exit 1
    fi
done
