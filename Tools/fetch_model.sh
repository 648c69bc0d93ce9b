#!/usr/bin/env bash
# Downloads a published checkpoint (README "Published checkpoints"; ../shared/reference/MODELS.md §6), checks it and
# converts it with Tools/convert into a model folder.
#   Tools/fetch_model.sh NAME [DIR]     DIR: the model folder to write (default Models/NAME)
#   Tools/fetch_model.sh --list         the names, formats and addresses
# Downloads go to $VIVID_CACHE/NAME/ (default ${XDG_CACHE_HOME:-~/.cache}/vivid) and are kept there: a file already
# there is not fetched again, so a checkpoint copied there by hand (on a machine without the network) is checked and
# converted the same way. Checks: curl's (HTTP status, a transfer cut short), then the size, at least 4 bytes for
# each float32 weight the model has (counted from ../shared/reference/state_dicts, or MODELS.md where no dump is
# given), and the sha256 prefix where the file name carries one (OpenMMLab's publish_model.py appends the first 8
# hex digits of the file's sha256). Neither MODELS.md nor the dumps give exact sizes or full hashes: the size and
# sha256 obtained are printed. The tests never run this script.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
labels="$root/Models/labels"
names=(vivit-b16x2-k400 vivit-b16x2-k400-scenic vivit-b16x2-fe-k400 vivit-l16x2-fe-k400 vivit-l16x2-fe-ek100
       timesformer-b8-k400 timesformer-hr16-k400 csn-152-k400 csn-r101-k400 slowfast-r50-k400 slowfast-r101-k400
       slowfast-16x8-r101-k400 slowfast-r50-ek100 uniformerv2-b16-u8-k400)

scenic=https://storage.googleapis.com/scenic-bucket/vivit
ptv=https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo/kinetics
mma=https://download.openmmlab.com/mmaction/v1.0/recognition/uniformerv2

# Sets, for NAME: hf (a Hugging Face repository, whose config.json and weights are fetched) or url and file (one
# file), format and flags (Tools/convert's), floats (float32 weights, for the size check) and sha256_prefix.
describe() {
  hf="" url="" file="" flags=() sha256_prefix=""
  case "$1" in
    vivit-b16x2-k400) hf=google/vivit-b-16x2-kinetics400 format=hf-vivit floats=88954000
      flags=(--labels "label=$labels/kinetics400.txt") ;;
    vivit-b16x2-k400-scenic) url=$scenic/kinetics_400/vivit_base_16x2_unfactorized/checkpoint format=scenic-vivit floats=88954000
      flags=(--frames 32 --labels "label=$labels/kinetics400.txt") ;;
    vivit-b16x2-fe-k400) url=$scenic/kinetics_400/vivit_base_16x2_fe/checkpoint format=scenic-vivit floats=115062928
      flags=(--labels "label=$labels/kinetics400.txt") ;;
    vivit-l16x2-fe-k400) url=$scenic/kinetics_400/vivit_large_16x2_fe/checkpoint format=scenic-vivit floats=354900365
      flags=(--labels "label=$labels/kinetics400.txt") ;;
    vivit-l16x2-fe-ek100) url=$scenic/epic_kitchens/vivit_large_16x2_fe/checkpoint format=scenic-vivit floats=354900365
      flags=(--class-splits 300,97 --split-names noun,verb --labels "noun=$labels/epic100_nouns.txt"
             --labels "verb=$labels/epic100_verbs.txt" --stride 1 --views 4x1) ;;
    timesformer-b8-k400) hf=facebook/timesformer-base-finetuned-k400 format=hf-timesformer floats=121566352
      flags=(--mean 0.45,0.45,0.45 --std 0.225,0.225,0.225) ;;
    timesformer-hr16-k400) hf=facebook/timesformer-hr-finetuned-k400 format=hf-timesformer floats=122024080
      flags=(--mean 0.45,0.45,0.45 --std 0.225,0.225,0.225) ;;
    csn-152-k400) url=https://github.com/bjuncek/VMZ/releases/download/test_models/irCSN_152_ft_kinetics_from_ig65m_f126851907.pth
      format=vmz-csn floats=29854992 ;;
    csn-r101-k400) url=$ptv/CSN_32x2_R101.pyth format=pytorchvideo floats=22319120 flags=(--arch csn) ;;
    slowfast-r50-k400) url=$ptv/SLOWFAST_8x8_R50.pyth format=pytorchvideo floats=34627176 flags=(--arch slowfast) ;;
    slowfast-r101-k400) url=$ptv/SLOWFAST_8x8_R101.pyth format=pytorchvideo floats=62946408 flags=(--arch slowfast) ;;
    slowfast-16x8-r101-k400) url=$ptv/SLOWFAST_16x8_R101_50_50.pyth format=pytorchvideo floats=53894248
      flags=(--arch slowfast --frames 64) ;;
    slowfast-r50-ek100) url='https://www.dropbox.com/s/uxb6i2xkn91xqzi/SlowFast.pyth?dl=1' file=SlowFast.pyth
      format=epic-slowfast floats=34620261 ;;
    uniformerv2-b16-u8-k400)
      url=$mma/uniformerv2-base-p16-res224_clip-kinetics710-pre_8xb32-u8_kinetics400-rgb/uniformerv2-base-p16-res224_clip-kinetics710-pre_8xb32-u8_kinetics400-rgb_20230313-75be0806.pth
      format=mmaction-uniformerv2 floats=114552208 sha256_prefix=75be0806 flags=(--frames 8) ;;
    *) return 1 ;;
  esac
  [ -n "$hf" ] || file="${file:-${url##*/}}"
}

usage() {
  echo "usage: Tools/fetch_model.sh NAME [DIR]   (DIR: the model folder to write, default Models/NAME)" >&2
  echo "names: ${names[*]}" >&2
  exit 2
}

if [ "${1:-}" = --list ]; then
  for name in "${names[@]}"; do
    describe "$name"
    printf '%-26s %-21s %s\n' "$name" "$format" "${hf:+https://huggingface.co/}${hf:-$url}"
  done
  exit 0
fi
[ $# -ge 1 ] && [ $# -le 2 ] || usage
name="$1"
describe "$name" || { echo "fetch_model: unknown name $name" >&2; usage; }
out="${2:-$root/Models/$name}"
cache="${VIVID_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vivid}/$name"
command -v curl >/dev/null || { echo "fetch_model: needs curl (Debian: apt-get install curl)" >&2; exit 1; }
mkdir -p "$cache"

# Fetches URL into $cache/FILE unless it is there; a partial download (FILE.part) is resumed. Returns curl's status
# after saying what it means; 22 (an HTTP error such as 404) is left to the caller when ALLOW_MISSING is set.
fetch() {
  local address="$1" target="$cache/$2" status=0
  if [ -s "$target" ]; then
    echo "fetch_model: $target is already here (delete it to download again)"
    return 0
  fi
  echo "fetch_model: downloading $address"
  curl -fL --connect-timeout 20 --retry 2 -C - -o "$target.part" "$address" || status=$?
  case $status in
    0) mv "$target.part" "$target"; return 0 ;;
    22) [ -n "${ALLOW_MISSING:-}" ] && { rm -f "$target.part"; return 22; }
        echo "fetch_model: $address answered an HTTP error (curl status 22): the file may have moved; see MODELS.md §6" >&2 ;;
    5|6|7|28|35) host="${address#*://}"; host="${host%%/*}"
        echo "fetch_model: cannot reach $host (curl status $status: no network, no DNS, a proxy or a firewall); nothing was downloaded." >&2
        echo "  Download $address elsewhere, copy it to $target and run this again." >&2 ;;
    *) echo "fetch_model: downloading $address failed (curl status $status); the partial file $target.part is kept and resumed next time" >&2 ;;
  esac
  exit 1
}

if [ -n "$hf" ]; then
  base="https://huggingface.co/$hf/resolve/main"
  fetch "$base/config.json" config.json
  # The repositories hold pytorch_model.bin; some also model.safetensors (convert.py reads either, that one first).
  if [ -s "$cache/model.safetensors" ] || { [ ! -s "$cache/pytorch_model.bin" ] && ALLOW_MISSING=1 fetch "$base/model.safetensors" model.safetensors; }; then
    weights="$cache/model.safetensors"
  else
    fetch "$base/pytorch_model.bin" pytorch_model.bin
    weights="$cache/pytorch_model.bin"
  fi
  source_path="$cache"
else
  fetch "$url" "$file"
  weights="$cache/$file"
  source_path="$weights"
fi

size=$(stat -c %s "$weights")
sha256=$(sha256sum "$weights" | cut -d' ' -f1)
echo "fetch_model: $weights: $size bytes, sha256 $sha256"
minimum=$((floats * 4))
if [ "$size" -lt "$minimum" ]; then
  echo "fetch_model: $weights has $size bytes, fewer than the $minimum of $floats float32 weights: not this checkpoint, or cut short (delete it and run again)" >&2
  exit 1
fi
if [ -n "$sha256_prefix" ] && [ "${sha256:0:8}" != "$sha256_prefix" ]; then
  echo "fetch_model: $weights: sha256 $sha256 does not start with $sha256_prefix, the hash its published name carries (delete it and run again)" >&2
  exit 1
fi

echo "fetch_model: Tools/convert $format $source_path $out ${flags[*]}"
bash "$root/Tools/convert" "$format" "$source_path" "$out" "${flags[@]}"
