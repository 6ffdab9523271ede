#!/bin/bash
# Run by the MariaDB image's entrypoint on the first start only (an empty
# data volume), after the schema script: creates the tributary user with the
# privileges of the README's "Privileges" section. TRIBUTARY_ROLE is source
# (binlog reading, backfill and lookups, the backfill watermarks) or target
# (the mapped tables and the migrations' bookkeeping in global).
set -euo pipefail
: "${TRIBUTARY_PASSWORD:?TRIBUTARY_PASSWORD is not set}"
pw=${TRIBUTARY_PASSWORD//\\/\\\\}
pw=${pw//\'/\\\'}
case "${TRIBUTARY_ROLE:-source}" in
source)
  grants="GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'tributary'@'%';
GRANT CREATE, INSERT, UPDATE ON \`tributary\`.* TO 'tributary'@'%';"
  ;;
target)
  grants="GRANT ALL PRIVILEGES ON \`global\`.* TO 'tributary'@'%';"
  ;;
*)
  echo "tributary-user.sh: TRIBUTARY_ROLE must be source or target, not ${TRIBUTARY_ROLE}" >&2
  exit 1
  ;;
esac
mariadb --protocol=socket -uroot -p"${MARIADB_ROOT_PASSWORD}" <<SQL
CREATE USER IF NOT EXISTS 'tributary'@'%' IDENTIFIED BY '${pw}';
${grants}
SQL
