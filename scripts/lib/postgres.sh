# Make a PostgreSQL available for the tests and export MEEDOEN_TEST_PG_URL.
#
# 1. MEEDOEN_TEST_PG_URL already set: use it as it is.
# 2. A server answers on 127.0.0.1:5432 (trust auth, user postgres): use it.
# 3. Otherwise start a throwaway cluster with initdb and pg_ctl (from /usr/local/bin or
#    /usr/lib/postgresql/*/bin; apt-get install postgresql when neither has them) on a
#    free port in a temporary directory, stopped and removed when the script exits.
#
# MEEDOEN_TEST_PG=throwaway forces 3 (to test this script, or to keep a shared server clean).
# shellcheck shell=bash

PG_THROWAWAY_DIR=""
PG_THROWAWAY_BIN=""

port_open() {
    # bash's /dev/tcp: no client tools needed.
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

find_pg_bin() {
    local d
    for d in /usr/local/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

free_port() {
    local p
    for p in $(seq 55432 55532); do
        if ! port_open 127.0.0.1 "$p"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

stop_throwaway_pg() {
    if [[ -n "$PG_THROWAWAY_DIR" && -d "$PG_THROWAWAY_DIR" ]]; then
        log "stopping the throwaway PostgreSQL"
        run_as_pg_user "$PG_THROWAWAY_BIN/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_THROWAWAY_DIR"
        PG_THROWAWAY_DIR=""
    fi
}

# initdb and postgres refuse to run as root: run them as the user 'postgres'.
run_as_pg_user() {
    if [[ "$(id -u)" == "0" ]]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

start_throwaway_pg() {
    local bin
    if ! bin="$(find_pg_bin)"; then
        apt_install postgresql
        bin="$(find_pg_bin)" || die "initdb/pg_ctl not found after installing postgresql"
    fi
    PG_THROWAWAY_BIN="$bin"
    if [[ "$(id -u)" == "0" ]] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres ||
            die "cannot create the user postgres to run a throwaway PostgreSQL"
    fi
    local port
    port="$(free_port)" || die "no free port for a throwaway PostgreSQL"
    PG_THROWAWAY_DIR="$(mktemp -d /tmp/meedoen-pg.XXXXXX)"
    chmod 755 "$PG_THROWAWAY_DIR"
    [[ "$(id -u)" == "0" ]] && chown postgres "$PG_THROWAWAY_DIR"
    trap stop_throwaway_pg EXIT
    log "starting a throwaway PostgreSQL ($bin) on 127.0.0.1:$port"
    run_as_pg_user "$bin/initdb" -D "$PG_THROWAWAY_DIR/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C >"$PG_THROWAWAY_DIR/initdb.log" 2>&1 ||
        die "initdb failed: $(tail -5 "$PG_THROWAWAY_DIR/initdb.log")"
    run_as_pg_user "$bin/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -l "$PG_THROWAWAY_DIR/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_THROWAWAY_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >/dev/null || die "pg_ctl start failed: $(tail -20 "$PG_THROWAWAY_DIR/server.log")"
    export MEEDOEN_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

ensure_postgres() {
    if [[ -n "${MEEDOEN_TEST_PG_URL:-}" ]]; then
        log "PostgreSQL: using MEEDOEN_TEST_PG_URL=$MEEDOEN_TEST_PG_URL"
        return 0
    fi
    if [[ "${MEEDOEN_TEST_PG:-}" != "throwaway" ]] && port_open 127.0.0.1 5432; then
        export MEEDOEN_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/postgres"
        if command -v psql >/dev/null 2>&1 &&
            ! psql "$MEEDOEN_TEST_PG_URL" -XAtqc 'SELECT 1' >/dev/null 2>&1; then
            warn "a PostgreSQL answers on 127.0.0.1:5432 but not as user postgres without a password; starting a throwaway one"
            unset MEEDOEN_TEST_PG_URL
        else
            log "PostgreSQL: using the server on 127.0.0.1:5432"
            return 0
        fi
    fi
    start_throwaway_pg
}
