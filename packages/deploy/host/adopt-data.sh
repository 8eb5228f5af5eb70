#!/bin/sh
# Adopt data an earlier version of deploy-actions left inside release directories (packages/deploy/src/
# user-files.ts adoptDataArgv says how).
#   adopt-data.sh <app-env root> <relative path>...
# Prints `adopted <path> from releases/<id>` and `left <path> in releases/<id> ...`; a copy it cannot move fails.
root=$1; shift
cur=$(readlink "$root/current" 2>/dev/null) || cur=
cur=${cur%/}; cur=${cur##*/}
for p in "$@"; do
  dst="$root/data/$p"
  { [ -e "$dst" ] || [ -L "$dst" ]; } && continue
  left=
  for d in "$root"/releases/*/; do
    d=${d%/}; id=${d##*/}
    [ ! -L "$d/$p" ] && [ -e "$d/$p" ] || continue
    if [ -n "$cur" ] && [ "$id" = "$cur" ]; then
      mkdir -p -- "$(dirname -- "$dst")" && mv -T -- "$d/$p" "$dst" && ln -s -- "$dst" "$d/$p" || { echo "cannot move releases/$id/$p to data/$p: move it there by hand (as its owner, or with sudo), then deploy again" >&2; exit 1; }
      echo "adopted $p from releases/$id"
    else
      grep -qxF -- "$p" "$d/.earlier-data" 2>/dev/null || printf "%s\n" "$p" >> "$d/.earlier-data" || exit 1
      mv -T -- "$d/$p" "$d/$p.earlier" && ln -s -- "$dst" "$d/$p" || { echo "cannot rename releases/$id/$p to $p.earlier: rename it by hand (as its owner, or with sudo), then deploy again" >&2; exit 1; }
      left="$left releases/$id"
    fi
  done
  [ -z "$left" ] || echo "left $p in$left"
done
