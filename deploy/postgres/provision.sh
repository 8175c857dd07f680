#!/bin/sh
# Creates (or updates) the PostgreSQL roles of roles.tsv, the schemas they own and their memberships, in one
# database. Idempotent. POSIX sh and psql only, so it runs from scripts/infra.sh and from a small container of the
# compose file alike.
#
#   provision.sh DATABASE ADMIN_ROLE
#
# psql connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD) as a role that may create roles
# (a superuser); $PSQL names the psql binary (default: psql on PATH). ADMIN_ROLE (the operators' login) is made a
# member of every role, so it can create the tests' schemas for them and drop them.
# Each login's password comes from the variable named after it: kp_key_service -> KP_KEY_SERVICE_DB_PASSWORD.
# A login whose variable is empty or unset is refused (no default passwords). Passwords travel to psql on its
# standard input, never on a command line, and are not printed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
database=${1:?database}; admin=${2:?admin role}
tab=$(printf '\t')

identifier() {
  case $1 in
    '' | [!a-z_]* | *[!a-z0-9_]*) echo "provision.sh: '$1' is not a plain lowercase identifier" >&2; exit 1 ;;
  esac
  printf '%s' "$1"
}

literal() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

rows() { grep -v '^#' "$here/roles.tsv" | grep -v '^[[:space:]]*$'; }

# The vault schema's owner: the role of roles.tsv that owns the schema `vault`.
vault_role=$(rows | awk -F "$tab" '$3 == "vault" { print $1 }')
[ -n "$vault_role" ] || { echo "provision.sh: no role of roles.tsv owns the schema vault" >&2; exit 1; }

sql() {
  db=$(identifier "$database"); owner_of_everything=$(identifier "$admin")
  cat <<'SQL'
SET client_min_messages = warning;
-- Moves a schema, and what an earlier version made in it under another login, to its owner.
CREATE FUNCTION pg_temp.kp_own_schema(target text, owner text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    statement text;
BEGIN
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', target, owner);
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', target, owner);
    -- Tables first: their indexes and owned sequences follow them.
    FOR statement IN
        SELECT format('ALTER %s %s OWNER TO %I',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, c.oid::regclass, owner)
          FROM pg_class c
         WHERE c.relnamespace = target::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relowner <> owner::regrole
    LOOP
        EXECUTE statement;
    END LOOP;
    FOR statement IN
        SELECT format('ALTER SEQUENCE %s OWNER TO %I', c.oid::regclass, owner)
          FROM pg_class c
         WHERE c.relnamespace = target::regnamespace AND c.relkind = 'S' AND c.relowner <> owner::regrole
    LOOP
        EXECUTE statement;
    END LOOP;
    FOR statement IN
        SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, owner)
          FROM pg_proc p
         WHERE p.pronamespace = target::regnamespace AND p.proowner <> owner::regrole
    LOOP
        EXECUTE statement;
    END LOOP;
END
$fn$;
SQL
  while IFS="$tab" read -r role login schema _; do
    role=$(identifier "$role"); schema=$(identifier "$schema")
    printf "SELECT format('CREATE ROLE %%I', '%s') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') \\\\gexec\n" "$role" "$role"
    case $login in
      login)
        variable=$(printf '%s' "$role" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD
        password=$(eval "printf '%s' \"\${$variable:-}\"")
        [ -n "$password" ] || { echo "provision.sh: $variable is not set" >&2; exit 1; }
        printf 'ALTER ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %s;\n' \
          "$role" "$(literal "$password")" ;;
      nologin) printf 'ALTER ROLE %s NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD NULL;\n' "$role" ;;
      *) echo "provision.sh: $role: login must be login or nologin, not '$login'" >&2; exit 1 ;;
    esac
    printf "SELECT pg_temp.kp_own_schema('%s', '%s');\n" "$schema" "$role"
    printf 'GRANT %s TO %s;\n' "$role" "$owner_of_everything"
  done <<EOF
$(rows)
EOF
  # No role creates schemas: each is made above. An earlier version gave the vault's role CREATE on the database.
  printf 'REVOKE CREATE ON DATABASE %s FROM %s;\n' "$db" "$vault_role"
  # Memberships: exactly those roles.tsv names; others are revoked (the vault's role is KeyService's only, decision 0020).
  while IFS="$tab" read -r role login _ member_of; do
    [ "$login" = login ] || continue
    while IFS="$tab" read -r group group_login _ _; do
      [ "$group_login" = nologin ] || continue
      entitled=no
      case ",$member_of," in *",$group,"*) entitled=yes ;; esac
      if [ $entitled = yes ]; then
        printf 'GRANT %s TO %s;\n' "$(identifier "$group")" "$(identifier "$role")"
      else
        printf "SELECT format('REVOKE %%I FROM %%I', '%s', '%s') WHERE EXISTS (SELECT FROM pg_auth_members WHERE roleid = '%s'::regrole AND member = '%s'::regrole) \\\\gexec\n" \
          "$group" "$role" "$group" "$role"
      fi
    done <<EOF
$(rows)
EOF
  done <<EOF
$(rows)
EOF
}

# Built first, so a missing password stops the script before psql changes anything.
script=$(sql)
printf '%s\n' "$script" | "${PSQL:-psql}" -X -q -v ON_ERROR_STOP=1 -d "$database" >/dev/null
