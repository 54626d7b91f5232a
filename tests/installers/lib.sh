# Helpers for scripts run inside the clean root (sourced before each script by install.test.mjs). The root is a
# minbase Debian: no curl, no procps; bash's /dev/tcp and /proc do the work.

now() { echo "${EPOCHREALTIME}"; }
# Seconds (one decimal) since a `now` reading.
since() { awk -v a="$1" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; }

# http_status URL: the HTTP status of a GET (000 when nothing answers). Plain http://127.0.0.1:PORT/... only.
http_status() {
  local rest=${1#http://} hostport path status
  hostport=${rest%%/*}
  path=/${rest#*/}
  exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}" 2>/dev/null || { echo 000; return; }
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
  status=$(timeout 5 head -n1 <&3 | awk '{print $2}')
  exec 3>&-
  echo "${status:-000}"
}

# http_body URL: the body of a GET (same limits as http_status).
http_body() {
  local rest=${1#http://} hostport path
  hostport=${rest%%/*}
  path=/${rest#*/}
  exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
  timeout 5 cat <&3 | sed '1,/^\r\{0,1\}$/d'
  exec 3>&-
}

# pids_of PATTERN: live processes whose executable path matches the glob PATTERN (e.g. '*/postgres').
pids_of() {
  local p exe
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    # shellcheck disable=SC2053
    [[ $exe == $1 ]] && echo "${p#/proc/}"
  done
  return 0
}

# exe_of PID: its executable's path.
exe_of() { readlink "/proc/$1/exe"; }

# wait_gone PATTERN SECONDS: waits until no process matches; fails listing the survivors.
wait_gone() {
  local deadline=$((SECONDS + $2)) left
  while :; do
    left=$(pids_of "$1")
    [[ -z $left ]] && return 0
    if ((SECONDS >= deadline)); then
      echo "still running after $2 s ($1):" >&2
      for p in $left; do echo "  $p $(exe_of "$p") $(tr '\0' ' ' <"/proc/$p/cmdline")" >&2; done
      return 1
    fi
    sleep 0.2
  done
}

# json_field FILE KEY: a top-level string or number field of a small JSON file (no jq in the root).
json_field() {
  sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" "$1" | head -n1
}

# apt_get ARGS…: apt-get, non-interactive. apt's lists and downloads are a cache shared with other containers (other
# test runs): apt-get fails at once on their locks, so every apt-get here waits for one flock on the shared dir.
apt_get() {
  flock -w 1800 /var/cache/apt/archives/.viban-test.lock \
    env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 "$@"
}
