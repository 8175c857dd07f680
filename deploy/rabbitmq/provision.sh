#!/bin/sh
# Declares the command queues of command-queues.txt, and creates (or updates) the broker users of broker-users.tsv
# and their permissions on one virtual host, through the
# RabbitMQ management API. Idempotent. POSIX sh and curl only, so it runs from scripts/infra.sh and from a small
# container of the compose file alike.
#
#   provision.sh MANAGEMENT_URL ADMIN_USER ADMIN_PASSWORD VHOST
#
# Each user's password comes from the variable named after it: kp-key-service -> KP_KEY_SERVICE_BROKER_PASSWORD.
# A user whose variable is empty or unset is refused (no default passwords).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
url=${1:?management url}; admin=${2:?admin user}; admin_password=${3:?admin password}; vhost=${4:?vhost}
vhost_path=$(printf '%s' "$vhost" | sed 's|/|%2F|g')
tab=$(printf '\t')

json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

api_put() {
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -u "$admin:$admin_password" \
    -H 'content-type: application/json' -X PUT --data "$2" "$url/api/$1") || status=000
  case $status in 2??) ;; *) echo "provision.sh: PUT $1 answered $status" >&2; exit 1 ;; esac
}

api_put "vhosts/$vhost_path" '{}'
grep -v '^#' "$here/command-queues.txt" | while read -r queue; do
  [ -n "$queue" ] || continue
  api_put "queues/$vhost_path/$queue" '{"durable":true,"auto_delete":false,"arguments":{}}'
  api_put "exchanges/$vhost_path/$queue" '{"type":"fanout","durable":true,"auto_delete":false,"arguments":{}}'
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -u "$admin:$admin_password" -H 'content-type: application/json' \
    -X POST --data '{"routing_key":"","arguments":{}}' "$url/api/bindings/$vhost_path/e/$queue/q/$queue") || status=000
  case $status in 2??) ;; *) echo "provision.sh: binding $queue answered $status" >&2; exit 1 ;; esac
done
grep -v '^#' "$here/broker-users.tsv" | while IFS="$tab" read -r user configure write read; do
  [ -n "$user" ] || continue
  variable=$(printf '%s' "$user" | tr 'a-z-' 'A-Z_')_BROKER_PASSWORD
  password=$(eval "printf '%s' \"\${$variable:-}\"")
  [ -n "$password" ] || { echo "provision.sh: $variable is not set" >&2; exit 1; }
  api_put "users/$user" "{\"password\":$(json_string "$password"),\"tags\":\"\"}"
  api_put "permissions/$vhost_path/$user" \
    "{\"configure\":$(json_string "$configure"),\"write\":$(json_string "$write"),\"read\":$(json_string "$read")}"
done
