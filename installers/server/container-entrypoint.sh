#!/bin/sh
# The container's entrypoint (under tini). Run with `--user UID:GID` (to own what it writes in your mounted
# repositories), the process has no passwd entry, and PostgreSQL's initdb refuses to run without one: give it one
# through nss_wrapper, for this process tree only.
set -eu
if ! getent passwd "$(id -u)" >/dev/null 2>&1; then
  passwd_file="${TMPDIR:-/tmp}/viban-passwd"
  cp /etc/passwd "$passwd_file"
  echo "viban:x:$(id -u):$(id -g):viban:${HOME:-/home/viban}:/bin/bash" >>"$passwd_file"
  export NSS_WRAPPER_PASSWD="$passwd_file" NSS_WRAPPER_GROUP=/etc/group
  export LD_PRELOAD="libnss_wrapper.so${LD_PRELOAD:+ $LD_PRELOAD}"
fi
exec "$@"
