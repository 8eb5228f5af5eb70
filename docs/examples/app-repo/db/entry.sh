#!/bin/sh
# The stand-in database: its password file must be readable (as a real one's is), then it answers on 5432.
[ -s "$DB_PASSWORD_FILE" ] || { echo "cannot read the password file '$DB_PASSWORD_FILE'" >&2; exit 3; }
mkdir -p /var/lib/shop-db
trap 'exit 0' TERM INT
httpd -f -p 5432 -h /srv &
wait $!
