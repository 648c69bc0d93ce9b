#!/usr/bin/env bash
# Copies the Swift runtime libraries a binary links (those ldd resolves inside a Swift toolchain, e.g.
# /usr/lib/swift/linux) into DEST, so that a runtime root without the toolchain can run it.
#   Deploy/swift-runtime-libs.sh BINARY DEST
set -euo pipefail
binary=${1:?usage: swift-runtime-libs.sh BINARY DEST}
dest=${2:?usage: swift-runtime-libs.sh BINARY DEST}
mkdir -p "$dest"
ldd "$binary" | awk '$3 ~ /\/lib\/swift\// { print $3 }' | while read -r library; do
  cp -L "$library" "$dest/"
done
count=$(ls "$dest" | wc -l)
[ "$count" -gt 0 ] || { echo "swift-runtime-libs: $binary links no Swift toolchain library (static stdlib?)" >&2; }
echo "swift-runtime-libs: $count libraries in $dest"
