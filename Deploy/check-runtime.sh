#!/usr/bin/env bash
# Proves the runtime image's contents without a Docker engine: builds a minimal Debian bookworm root with
# debootstrap, installs only `install-deps.sh runtime` into it, copies the release binary, the Swift runtime
# libraries it links and Models/, then runs `vivid serve` in it (chroot, as nobody) and checks /status, one
# /classify and a clean drain on SIGTERM. This is what Deploy/Dockerfile's runtime stage holds.
#
#   Deploy/check-runtime.sh [VIVID] [MODEL]     (default .build/release/vivid, Models/demo)
#
# Needs root, debootstrap and a Debian mirror (DEBIAN_MIRROR, default deb.debian.org); skipped with a message
# otherwise. The root is kept in ROOTFS (default /var/tmp/vivid-rootfs) and reused: a second run only refreshes
# the copied files. ROOTFS_FRESH=1 starts over.
set -euo pipefail
cd "$(dirname "$0")/.."
vivid=${1:-.build/release/vivid}
model=${2:-Models/demo}
root=${ROOTFS:-/var/tmp/vivid-rootfs}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
port=${PORT:-18431}

if ! command -v debootstrap >/dev/null; then
  echo "check-runtime: skipped (debootstrap is not installed: apt-get install debootstrap)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "check-runtime: skipped (debootstrap and chroot need root)"
  exit 0
fi
video=$(ls "$model"/examples/*.mp4 2>/dev/null | head -1 || true)
[ -n "$video" ] || video=$(ls Models/demo/examples/*.mp4 | head -1)

[ "${ROOTFS_FRESH:-0}" = 1 ] && rm -rf "$root"
if [ ! -x "$root/usr/bin/apt-get" ]; then
  echo "check-runtime: debootstrap --variant=minbase bookworm $root (a few minutes)"
  rm -rf "$root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/tmp/vivid-debootstrap.log 2>&1 \
    || { tail -20 /tmp/vivid-debootstrap.log; exit 1; }
fi

mounted=()
server=
cleanup() {
  [ -n "$server" ] && kill -KILL "$server" 2>/dev/null || true
  for mount in "${mounted[@]}"; do umount "$mount" 2>/dev/null || true; done
}
trap cleanup EXIT
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
cp /etc/resolv.conf "$root/etc/resolv.conf"

cp Deploy/install-deps.sh "$root/tmp/install-deps.sh"
chroot "$root" bash /tmp/install-deps.sh runtime >/tmp/vivid-runtime-apt.log 2>&1 || { tail -20 /tmp/vivid-runtime-apt.log; exit 1; }
rm -rf "$root/usr/local/lib/swift" "$root/srv/vivid"
bash Deploy/swift-runtime-libs.sh "$vivid" "$root/usr/local/lib/swift" >/dev/null
echo /usr/local/lib/swift >"$root/etc/ld.so.conf.d/swift.conf"
chroot "$root" ldconfig
install -m 755 "$vivid" "$root/usr/local/bin/vivid"
mkdir -p "$root/srv/vivid/Models"
cp -r "$model" "$root/srv/vivid/Models/model"
cp "$video" "$root/tmp/check.mp4"

missing=$(chroot "$root" ldd /usr/local/bin/vivid | grep "not found" || true)
[ -z "$missing" ] || { echo "check-runtime: FAIL, libraries missing in the runtime root:"; echo "$missing"; exit 1; }
echo "check-runtime: the runtime root has every library ($(chroot "$root" dpkg-query -W | wc -l) packages, $(du -sh --exclude=proc "$root" | cut -f1))"

chroot --userspec=65534:65534 "$root" env HOME=/tmp TMPDIR=/tmp VIVID_HOST=127.0.0.1 VIVID_PORT="$port" \
  VIVID_MODEL=/srv/vivid/Models/model /usr/local/bin/vivid serve >/tmp/vivid-runtime-serve.log 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "check-runtime: FAIL, vivid serve exited:"; tail -20 /tmp/vivid-runtime-serve.log; exit 1; }
  sleep 0.2
done
status=$(curl -fsS "http://127.0.0.1:$port/status")
echo "$status" | grep -q '"status" *: *"ok"' || { echo "check-runtime: FAIL, /status: $status"; exit 1; }
answer=$(curl -sS -o /tmp/vivid-runtime-answer.json -w '%{http_code}' -F "video=@$video" \
  "http://127.0.0.1:$port/classify?views=1x1&per_view=false&top_k=1")
[ "$answer" = 200 ] && grep -q '"aggregate"' /tmp/vivid-runtime-answer.json \
  || { echo "check-runtime: FAIL, /classify answered $answer: $(head -c 300 /tmp/vivid-runtime-answer.json)"; exit 1; }
kill -TERM "$server"
wait "$server" && code=0 || code=$?
server=
[ "$code" = 0 ] || { echo "check-runtime: FAIL, vivid serve exited $code after SIGTERM"; exit 1; }
echo "check-runtime: ok (/status ok, /classify 200 on $(basename "$video"), exit 0 after SIGTERM, running as nobody in the chroot)"
