#!/usr/bin/env bash
# Real backing services for Linkpulse on this machine, without Docker, on loopback only:
#   PostgreSQL and Redis (Debian packages), Apache Kafka 4.x in KRaft mode (jars from Maven Central,
#   run on the installed JDK), MinIO and Mailpit (an SMTP server with an HTTP API to read what it
#   received; both built with `go install`), and ClickHouse over HTTP served by Linkpulse's embedded
#   engine (`linkpulse clickhouse-http`).
#
#   scripts/services.sh up       start whatever is not running (idempotent)
#   scripts/services.sh down     stop everything
#   (up and down also take service names: postgres redis kafka minio mailpit clickhouse)
#   scripts/services.sh status   one line per service
#   scripts/services.sh env      print the variables that point Linkpulse at them
#                                (eval "$(scripts/services.sh env)")
#
# Binaries are cached under ~/.cache/linkpulse (a second `up` is fast); data and logs live under
# $LINKPULSE_SERVICES_DIR (default /tmp/linkpulse-services). Needs: apt packages postgresql,
# redis-server (installed by .ci/run), Java 17+ with mvn, Go, and `npm ci` done for clickhouse-http.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/linkpulse"
STATE="${LINKPULSE_SERVICES_DIR:-/tmp/linkpulse-services}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/scripts/kafka/pom.xml")"
# Pinned so every machine builds the same MinIO (the module has no semver tags; this is its latest).
MINIO_MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
MAILPIT_MODULE="github.com/axllent/mailpit@v1.33.1"

PG_PORT=55432
REDIS_PORT=56379
KAFKA_PORT=59092
KAFKA_CONTROLLER_PORT=59093
MINIO_PORT=59000
MAILPIT_SMTP_PORT=51025
MAILPIT_HTTP_PORT=58025
CLICKHOUSE_PORT=58123
S3_BUCKET_NAME=linkpulse

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # port name seconds logfile
  local deadline=$((SECONDS + $3))
  until port_open "$1"; do
    if ((SECONDS > deadline)); then
      log "$2 did not open port $1 within $3 s; last log lines:"
      tail -n 30 "$4" >&2 || true
      return 1
    fi
    sleep 0.3
  done
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stops the process in a pid file: SIGTERM, up to $2 seconds to exit, then SIGKILL.
stop_pidfile() {
  pid_alive "$1" || return 0
  local pid
  pid="$(cat "$1")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 $(($2 * 4))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
}

# Passwords are generated once per state directory and reused by every `up` and `env`.
load_secrets() {
  mkdir -p "$STATE"
  chmod 755 "$STATE"
  local file="$STATE/secrets.env"
  gen() { head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32; }
  if [[ ! -f "$file" ]]; then
    (
      umask 077
      {
        echo "PG_SUPERUSER_PASSWORD=$(gen)"
        echo "PG_APP_PASSWORD=$(gen)"
        echo "PG_SCHEDULER_PASSWORD=$(gen)"
        echo "REDIS_PASSWORD=$(gen)"
        echo "MINIO_ROOT_USER=linkpulse"
        echo "MINIO_ROOT_PASSWORD=$(gen)"
        echo "CLICKHOUSE_ANALYST_PASSWORD=$(gen)"
        echo "CLICKHOUSE_WRITER_PASSWORD=$(gen)"
      } >"$file"
    )
  fi
  # A state directory from before the scheduler login had its own password gets one now.
  grep -q '^PG_SCHEDULER_PASSWORD=' "$file" || echo "PG_SCHEDULER_PASSWORD=$(gen)" >>"$file"
  # shellcheck disable=SC1090
  source "$file"
}

as_postgres_user() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -x "$dir/pg_ctl" ]] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  echo "$dir"
}

up_postgres() {
  local bin data="$STATE/postgres"
  bin="$(postgres_bin)"
  if [[ -f "$data/postmaster.pid" ]] && as_postgres_user "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "postgres already running on $PG_PORT"
    return
  fi
  if [[ ! -f "$data/PG_VERSION" ]]; then
    mkdir -p "$data"
    [[ "$(id -u)" == 0 ]] && chown postgres:postgres "$data"
    chmod 700 "$data"
    local pwfile="$STATE/.pgpass-init"
    (umask 077; echo "$PG_SUPERUSER_PASSWORD" >"$pwfile")
    [[ "$(id -u)" == 0 ]] && chown postgres "$pwfile"
    as_postgres_user "$bin/initdb" -D "$data" -U postgres --auth=scram-sha-256 --pwfile="$pwfile" \
      --encoding=UTF8 --no-locale >"$STATE/postgres-init.log" 2>&1 || { cat "$STATE/postgres-init.log" >&2; die "initdb failed"; }
    rm -f "$pwfile"
  fi
  as_postgres_user "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$data' -c max_connections=300" start >/dev/null
  PGPASSWORD="$PG_SUPERUSER_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAq \
    -c "SELECT 1 FROM pg_database WHERE datname = 'linkpulse'" | grep -q 1 ||
    PGPASSWORD="$PG_SUPERUSER_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -q -c "CREATE DATABASE linkpulse"
  log "postgres up on $PG_PORT"
}

down_postgres() {
  local data="$STATE/postgres"
  [[ -f "$data/postmaster.pid" ]] || return 0
  as_postgres_user "$(postgres_bin)/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

up_redis() {
  local data="$STATE/redis"
  if pid_alive "$data/redis.pid"; then log "redis already running on $REDIS_PORT"; return; fi
  command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
  mkdir -p "$data"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes --requirepass "$REDIS_PASSWORD" \
    --dir "$data" --pidfile "$data/redis.pid" --logfile "$data/redis.log" --daemonize yes \
    --save '' --appendonly no
  wait_for_port "$REDIS_PORT" redis 20 "$data/redis.log"
  log "redis up on $REDIS_PORT"
}

down_redis() { stop_pidfile "$STATE/redis/redis.pid" 10; }

ensure_kafka_jars() {
  local libs="$CACHE/kafka-$KAFKA_VERSION/libs"
  if [[ ! -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
    command -v mvn >/dev/null || die "mvn not found (needed to fetch Kafka from Maven Central)"
    log "fetching Kafka $KAFKA_VERSION from Maven Central"
    mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$libs" -DincludeScope=runtime >&2
  fi
  echo "$libs"
}

up_kafka() {
  local data="$STATE/kafka" libs
  if pid_alive "$data/kafka.pid" && port_open "$KAFKA_PORT"; then log "kafka already running on $KAFKA_PORT"; return; fi
  libs="$(ensure_kafka_jars)"
  mkdir -p "$data"
  cat >"$data/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/logs
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$data/log4j2.yaml" <<'EOF'
Configuration:
  Appenders:
    Console:
      name: STDOUT
      target: SYSTEM_OUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
EOF
  local classpath="$libs/*"
  if [[ ! -f "$data/logs/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(java -cp "$classpath" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    java -cp "$classpath" -Dlog4j2.configurationFile="$data/log4j2.yaml" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$data/server.properties" --standalone >"$data/format.log" 2>&1 ||
      { cat "$data/format.log" >&2; die "kafka storage format failed"; }
  fi
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$data/log4j2.yaml" -cp "$classpath" kafka.Kafka "$data/server.properties" \
    >"$data/kafka.log" 2>&1 &
  echo $! >"$data/kafka.pid"
  wait_for_port "$KAFKA_PORT" kafka 90 "$data/kafka.log"
  log "kafka $KAFKA_VERSION up on $KAFKA_PORT"
}

down_kafka() { stop_pidfile "$STATE/kafka/kafka.pid" 30; }

# The path of a Go program's binary, built once from the Go module proxy into the cache: name, module@version, what it is.
ensure_go_binary() {
  local binary="$CACHE/bin/$1"
  if [[ ! -x "$binary" ]]; then
    command -v go >/dev/null || die "go not found (needed to build $3)"
    log "building $3 from the Go module proxy (a few minutes, once)"
    mkdir -p "$CACHE/bin"
    (cd /tmp && GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install "$2") >&2
  fi
  echo "$binary"
}

up_minio() {
  local data="$STATE/minio" binary
  if pid_alive "$data/minio.pid" && port_open "$MINIO_PORT"; then
    ensure_bucket "$S3_BUCKET_NAME"
    log "minio already running on $MINIO_PORT"
    return
  fi
  binary="$(ensure_go_binary minio "$MINIO_MODULE" MinIO)"
  mkdir -p "$data/data"
  MINIO_ROOT_USER="$MINIO_ROOT_USER" MINIO_ROOT_PASSWORD="$MINIO_ROOT_PASSWORD" MINIO_BROWSER=off \
    MINIO_UPDATE=off nohup "$binary" server --quiet --address "127.0.0.1:$MINIO_PORT" \
    --console-address "127.0.0.1:$((MINIO_PORT + 1))" "$data/data" >"$data/minio.log" 2>&1 &
  echo $! >"$data/minio.pid"
  local deadline=$((SECONDS + 60))
  until curl -sf "http://127.0.0.1:$MINIO_PORT/minio/health/ready" >/dev/null; do
    ((SECONDS > deadline)) && { tail -n 30 "$data/minio.log" >&2; die "minio did not become ready"; }
    sleep 0.3
  done
  ensure_bucket "$S3_BUCKET_NAME"
  log "minio up on $MINIO_PORT (bucket $S3_BUCKET_NAME)"
}

# Creates the app's bucket on a fresh MinIO (an S3 PUT Bucket signed with SigV4 by curl), so that
# nothing depends on the app or a test having created it first. 409 means it already exists.
ensure_bucket() {
  local status
  status="$(curl -s -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 'aws:amz:us-east-1:s3' \
    -u "$MINIO_ROOT_USER:$MINIO_ROOT_PASSWORD" "http://127.0.0.1:$MINIO_PORT/$1")"
  [[ "$status" == 200 || "$status" == 409 ]] || die "could not create the S3 bucket $1 (HTTP $status)"
}

down_minio() { stop_pidfile "$STATE/minio/minio.pid" 10; }

# Mail for the tests: SMTP on one port, and the HTTP API the tests read received mails from on another.
up_mailpit() {
  local data="$STATE/mailpit" binary
  if pid_alive "$data/mailpit.pid" && port_open "$MAILPIT_SMTP_PORT"; then
    log "mailpit already running on $MAILPIT_SMTP_PORT"
    return
  fi
  binary="$(ensure_go_binary mailpit "$MAILPIT_MODULE" Mailpit)"
  mkdir -p "$data"
  nohup "$binary" --quiet --disable-version-check --smtp "127.0.0.1:$MAILPIT_SMTP_PORT" \
    --listen "127.0.0.1:$MAILPIT_HTTP_PORT" --database "$data/mailpit.db" --max 5000 >"$data/mailpit.log" 2>&1 &
  echo $! >"$data/mailpit.pid"
  wait_for_port "$MAILPIT_SMTP_PORT" mailpit 30 "$data/mailpit.log"
  wait_for_port "$MAILPIT_HTTP_PORT" mailpit 30 "$data/mailpit.log"
  log "mailpit up: SMTP on $MAILPIT_SMTP_PORT, API on $MAILPIT_HTTP_PORT"
}

down_mailpit() { stop_pidfile "$STATE/mailpit/mailpit.pid" 10; }

# The current sources when tsx is installed (development, CI), else the compiled build.
linkpulse_cli() {
  if [[ -x "$ROOT/node_modules/.bin/tsx" ]]; then echo "$ROOT/node_modules/.bin/tsx $ROOT/server/cli.ts"
  elif [[ -f "$ROOT/dist/server/cli.js" ]]; then echo "node $ROOT/dist/server/cli.js"
  else die "run npm ci first (clickhouse-http is Linkpulse's own embedded engine)"; fi
}

up_clickhouse() {
  local data="$STATE/clickhouse"
  if pid_alive "$data/clickhouse.pid" && port_open "$CLICKHOUSE_PORT"; then log "clickhouse-http already running on $CLICKHOUSE_PORT"; return; fi
  mkdir -p "$data"
  local cli
  cli="$(linkpulse_cli)"
  # Only the variables clickhouse-http needs: nothing from the caller's environment leaks in.
  env -i PATH="$PATH" HOME="$HOME" NODE_ENV=development LOG_LEVEL=warn DATA_DIR="$data/data" \
    CLICKHOUSE_HTTP_HOST=127.0.0.1 CLICKHOUSE_HTTP_PORT="$CLICKHOUSE_PORT" \
    CLICKHOUSE_HTTP_USER=analyst CLICKHOUSE_HTTP_PASSWORD="$CLICKHOUSE_ANALYST_PASSWORD" \
    CLICKHOUSE_HTTP_WRITER_USER=linkpulse CLICKHOUSE_HTTP_WRITER_PASSWORD="$CLICKHOUSE_WRITER_PASSWORD" \
    nohup $cli clickhouse-http >"$data/clickhouse.log" 2>&1 &
  echo $! >"$data/clickhouse.pid"
  wait_for_port "$CLICKHOUSE_PORT" clickhouse-http 60 "$data/clickhouse.log"
  log "clickhouse-http (chDB) up on $CLICKHOUSE_PORT"
}

down_clickhouse() { stop_pidfile "$STATE/clickhouse/clickhouse.pid" 15; }

print_env() {
  cat <<EOF
export DATABASE_URL='postgres://linkpulse_app:$PG_APP_PASSWORD@127.0.0.1:$PG_PORT/linkpulse'
export DATABASE_OWNER_URL='postgres://postgres:$PG_SUPERUSER_PASSWORD@127.0.0.1:$PG_PORT/linkpulse'
export SCHEDULER_DATABASE_URL='postgres://linkpulse_scheduler:$PG_SCHEDULER_PASSWORD@127.0.0.1:$PG_PORT/linkpulse'
export REDIS_URL='redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0'
export KAFKA_BROKERS='127.0.0.1:$KAFKA_PORT'
export S3_ENDPOINT='http://127.0.0.1:$MINIO_PORT'
export S3_BUCKET='$S3_BUCKET_NAME'
export S3_REGION='us-east-1'
export S3_ACCESS_KEY_ID='$MINIO_ROOT_USER'
export S3_SECRET_ACCESS_KEY='$MINIO_ROOT_PASSWORD'
export S3_FORCE_PATH_STYLE='true'
export CLICKHOUSE_URL='http://127.0.0.1:$CLICKHOUSE_PORT'
export CLICKHOUSE_USER='linkpulse'
export CLICKHOUSE_PASSWORD='$CLICKHOUSE_WRITER_PASSWORD'
export SMTP_URL='smtp://127.0.0.1:$MAILPIT_SMTP_PORT'
export MAILPIT_URL='http://127.0.0.1:$MAILPIT_HTTP_PORT'
EOF
}

status_line() { # name port
  if port_open "$2"; then printf '%-16s up   (127.0.0.1:%s)\n' "$1" "$2"; else printf '%-16s down\n' "$1"; fi
}

SERVICES=(postgres redis kafka minio mailpit clickhouse)

main() {
  local command="${1:-}"
  shift || true
  local selected=("$@")
  ((${#selected[@]})) || selected=("${SERVICES[@]}")
  for name in "${selected[@]}"; do
    [[ " ${SERVICES[*]} " == *" $name "* ]] || die "unknown service $name (one of: ${SERVICES[*]})"
  done
  load_secrets
  case "$command" in
    up)
      for name in "${selected[@]}"; do "up_$name"; done
      log "services up; point Linkpulse at them with: eval \"\$(scripts/services.sh env)\""
      ;;
    down)
      for ((i = ${#selected[@]} - 1; i >= 0; i--)); do "down_${selected[i]}"; done
      log "services stopped (data kept in $STATE)"
      ;;
    status)
      status_line postgres "$PG_PORT"
      status_line redis "$REDIS_PORT"
      status_line kafka "$KAFKA_PORT"
      status_line minio "$MINIO_PORT"
      status_line mailpit "$MAILPIT_SMTP_PORT"
      status_line clickhouse-http "$CLICKHOUSE_PORT"
      ;;
    env) print_env ;;
    *)
      echo "usage: scripts/services.sh up|down [service...] | status | env" >&2
      exit 2
      ;;
  esac
}

main "$@"
