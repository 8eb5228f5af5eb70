#!/bin/sh
# Commit files into <root> (a tar on stdin, unpacked beside and renamed into place; .history-add appended to
# history.jsonl) and re-point `current` at <link> when given (packages/deploy/src/commands.ts commitArgv).
#   commit.sh <root> [<link>]
umask 077 && mkdir -p "$1" && cd "$1" || exit 1
s=".commit.$$"; rm -rf "$s"; mkdir "$s" && tar -xf - -C "$s" || { rm -rf "$s"; exit 1; }
(cd "$s" && find . -type f ! -name .history-add) | while read -r f; do mkdir -p "$(dirname "$f")" && mv -f "$s/$f" "$f" || exit 1; done || { rm -rf "$s"; exit 1; }
if [ -f "$s/.history-add" ]; then
  if [ -s history.jsonl ] && [ -n "$(tail -c 1 history.jsonl)" ]; then echo >> history.jsonl; fi
  cat "$s/.history-add" >> history.jsonl || exit 1
fi
rm -rf "$s"
if [ -n "$2" ]; then ln -sfn "$2" current.new && mv -fT current.new current; fi
