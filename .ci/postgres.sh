#!/usr/bin/env bash
# Make sure PostgreSQL runs at 127.0.0.1:5432 with trust auth for user `postgres`, and that the
# test databases exist. Idempotent; needs root only when it has to install or (re)configure.
#
#   bash .ci/postgres.sh          (also: make pg)
#
# Steps: already accepting connections? -> just check auth and create databases. Otherwise install
# Debian's `postgresql` if no cluster exists, configure trust auth + listen on 127.0.0.1:5432, start
# the cluster with pg_ctlcluster (no systemd here) and wait for it.
set -euo pipefail

PGHOST_ADDR=127.0.0.1
PGPORT_NUM=5432
DATABASES=(test ledger_test)
WAIT_SECONDS=30

say() { printf '[postgres.sh] %s\n' "$*"; }
die() {
    printf '[postgres.sh] ERROR: %s\n' "$*" >&2
    exit 1
}

is_ready() {
    command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PGHOST_ADDR" -p "$PGPORT_NUM"
}

# -w: never prompt for a password (CI has no stdin); a password prompt means auth is not `trust`.
psql_postgres() {
    PGCONNECT_TIMEOUT=5 psql -w -h "$PGHOST_ADDR" -p "$PGPORT_NUM" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

trust_works() {
    psql_postgres -tAc 'SELECT 1' >/dev/null 2>&1
}

require_root() {
    [[ $(id -u) -eq 0 ]] || die "$1 needs root (run as root, or start PostgreSQL yourself)"
}

newest_version() {
    # Highest major version with a `main` cluster, e.g. 15.
    local dir ver best=""
    for dir in /etc/postgresql/*/main; do
        [[ -d $dir ]] || continue
        ver=${dir#/etc/postgresql/}
        ver=${ver%/main}
        best+="$ver"$'\n'
    done
    printf '%s' "$best" | sort -V | tail -n 1
}

install_postgresql() {
    require_root "installing PostgreSQL"
    say "no PostgreSQL cluster found: installing Debian's postgresql package"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
}

configure_cluster() {
    local ver=$1 conf_dir="/etc/postgresql/$1/main"
    local hba="$conf_dir/pg_hba.conf"
    require_root "configuring PostgreSQL $ver"
    say "configuring cluster $ver/main: trust auth, listen on $PGHOST_ADDR:$PGPORT_NUM"
    # Every local / host rule authenticates with `trust` (peer, ident, md5, scram-sha-256 replaced).
    sed -ri 's/^((local|host|hostssl|hostnossl)[[:space:]].*[[:space:]])(peer|ident|md5|scram-sha-256|password)([[:space:]]*)$/\1trust\4/' "$hba"
    grep -Eq '^local[[:space:]]+all[[:space:]]+all[[:space:]]' "$hba" ||
        echo 'local   all   all                  trust' >>"$hba"
    grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]' "$hba" ||
        echo 'host    all   all   127.0.0.1/32   trust' >>"$hba"
    grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+::1/128[[:space:]]' "$hba" ||
        echo 'host    all   all   ::1/128        trust' >>"$hba"
    # Debian's postgresql.conf ends with include_dir = 'conf.d'; settings there win.
    if grep -Eq "^[[:space:]]*include_dir[[:space:]]*=[[:space:]]*'conf\.d'" "$conf_dir/postgresql.conf"; then
        mkdir -p "$conf_dir/conf.d"
        printf "listen_addresses = '%s'\nport = %s\n" "$PGHOST_ADDR" "$PGPORT_NUM" \
            >"$conf_dir/conf.d/95-benefits-ledger.conf"
    else
        sed -ri "s/^[#[:space:]]*listen_addresses[[:space:]]*=.*/listen_addresses = '$PGHOST_ADDR'/" "$conf_dir/postgresql.conf"
        sed -ri "s/^[#[:space:]]*port[[:space:]]*=[[:space:]]*[0-9]+/port = $PGPORT_NUM/" "$conf_dir/postgresql.conf"
    fi
}

start_cluster() {
    local ver=$1
    if pg_ctlcluster --skip-systemctl-redirect "$ver" main status >/dev/null 2>&1; then
        say "cluster $ver/main is running but not ready at $PGHOST_ADDR:$PGPORT_NUM: restarting it"
        pg_ctlcluster --skip-systemctl-redirect "$ver" main restart
    else
        say "starting cluster $ver/main"
        pg_ctlcluster --skip-systemctl-redirect "$ver" main start
    fi
    local waited=0
    until is_ready; do
        ((waited >= WAIT_SECONDS)) && die "PostgreSQL $ver did not accept connections at $PGHOST_ADDR:$PGPORT_NUM within ${WAIT_SECONDS}s"
        sleep 1
        waited=$((waited + 1))
    done
    say "PostgreSQL $ver accepts connections at $PGHOST_ADDR:$PGPORT_NUM (after ${waited}s)"
}

# --- 1. a running server ---------------------------------------------------------------------------
if is_ready; then
    say "PostgreSQL already accepts connections at $PGHOST_ADDR:$PGPORT_NUM"
    if ! trust_works; then
        # Running, but the postgres user cannot log in without a password: switch to trust + reload.
        ver=$(newest_version)
        [[ -n $ver ]] || die "PostgreSQL at $PGHOST_ADDR:$PGPORT_NUM refuses user postgres without a password, and no /etc/postgresql cluster to reconfigure"
        configure_cluster "$ver"
        pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
        sleep 1
    fi
else
    if [[ -z $(newest_version) ]]; then
        install_postgresql
    fi
    ver=$(newest_version)
    [[ -n $ver ]] || die "no /etc/postgresql/*/main cluster after installing postgresql"
    configure_cluster "$ver"
    start_cluster "$ver"
fi

trust_works || die "cannot connect as user postgres to $PGHOST_ADDR:$PGPORT_NUM without a password (is pg_hba.conf trust?)"

# --- 2. the test databases -------------------------------------------------------------------------
for db in "${DATABASES[@]}"; do
    if [[ $(psql_postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]]; then
        say "database $db exists"
    else
        createdb -w -h "$PGHOST_ADDR" -p "$PGPORT_NUM" -U postgres "$db"
        say "created database $db"
    fi
done
say "ready: postgresql://postgres@$PGHOST_ADDR:$PGPORT_NUM/{$(
    IFS=,
    echo "${DATABASES[*]}"
)}"
