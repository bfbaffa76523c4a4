#!/usr/bin/env bash
# Load test: 50 users across the four roles for 3 minutes against gunicorn + PostgreSQL with
# 10,000 agents of seeded data; PASS when no request fails and, once all the users are logged
# in, p95 < 500 ms overall and for every role. See bench/README.md and bench/LOAD_REPORT.md.
# With --step 50,100,150: one run per user count in turn (--step-time each), until one fails;
# prints the largest count that held (p95 < 300 ms, 0 failures) on a line starting "HELD:".
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/load_test.sh [options]
#
#   --agents N          agents of the seeded data (10000); the database pilote_pix_load, or
#                       pilote_pix_load_N for another size, or $BENCH_DATABASE
#   --reseed            drop the load database and seed it again
#   --step LIST         user counts to step through, ascending (e.g. 50,100,150,200)
#   --step-time T       duration of each step, locust syntax (2m)
#   --p95-limit MS      the verdict's p95 limit (500, or 300 with --step)
#   --users N           simulated users (50)          --spawn-rate N   users started per s (5)
#   --time T            duration, locust syntax (3m)  --workers N      gunicorn workers (2 x cores + 1)
#   --worker-class C    gunicorn worker class (sync)  --threads N      threads per gthread worker (1)
#   --conn-max-age N    Django's CONN_MAX_AGE for gunicorn (0, the settings' default; .env.example: 60)
#   --wait MIN,MAX      seconds a simulated user reads a page before the next one (1,4)
#   --html              keep locust's HTML report in bench/load_results/ (~1 MB) too
#   --port N            gunicorn's port (8010)
#
# Needs: the project's .venv, python3 with venv, a PostgreSQL server (DATABASE_URL: any
# database of it; the test uses its own). Locust gets its own virtualenv, created if
# missing outside the work tree: $LOCUST_VENV, by default ~/.cache/pilote-pix/locust-venv.
# Results: bench/load_results/load_stats.csv (per page), load_failures.csv,
# load_roles.json (per role), load_dataset.txt (the data's figures), load_summary.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

USERS=50
AGENTS=10000
STEPS=""
STEP_TIME=2m
P95_LIMIT=""
SPAWN_RATE=5
DURATION=3m
WORKERS=$(($(nproc) * 2 + 1))
WORKER_CLASS=sync
THREADS=1
PORT=8010
RESEED=""
KEEP_HTML=""
CONN_AGE=0
WAIT=1,4
while [ $# -gt 0 ]; do
    case "$1" in
        --reseed) RESEED=--reseed ;;
        --agents) AGENTS=$2; shift ;;
        --step) STEPS=$2; shift ;;
        --step-time) STEP_TIME=$2; shift ;;
        --p95-limit) P95_LIMIT=$2; shift ;;
        --users) USERS=$2; shift ;;
        --spawn-rate) SPAWN_RATE=$2; shift ;;
        --time) DURATION=$2; shift ;;
        --workers) WORKERS=$2; shift ;;
        --worker-class) WORKER_CLASS=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        --port) PORT=$2; shift ;;
        --conn-max-age) CONN_AGE=$2; shift ;;
        --wait) WAIT=$2; shift ;;
        --html) KEEP_HTML=1 ;;
        -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0"; exit 0 ;;
        *) echo "Unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

: "${DATABASE_URL:=postgres://postgres@127.0.0.1:5432/postgres}"
case "$DATABASE_URL" in
    postgres://*|postgresql://*) ;;
    *) echo "DATABASE_URL must point to PostgreSQL (postgres://…)" >&2; exit 2 ;;
esac
export DATABASE_URL
case "$AGENTS" in
    ''|*[!0-9]*) echo "--agents: a number of agents (10000)" >&2; exit 2 ;;
esac
if [ -n "$STEPS" ]; then
    if ! [[ "$STEPS" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]]; then
        echo "--step: user counts separated by commas, e.g. 50,100,150" >&2; exit 2
    fi
    if [ "$(tr , '\n' <<< "$STEPS" | sort -n | paste -sd,)" != "$STEPS" ]; then
        echo "--step: the user counts in ascending order ($STEPS)" >&2; exit 2
    fi
fi
P95_LIMIT=${P95_LIMIT:-$([ -n "$STEPS" ] && echo 300 || echo 500)}
# The load database: BENCH_DATABASE names another one (load_seed.py reads it too); each size
# of seed has its own by default.
if [ "$AGENTS" = 10000 ]; then DEFAULT_DATABASE=pilote_pix_load; else DEFAULT_DATABASE="pilote_pix_load_$AGENTS"; fi
export BENCH_DATABASE="${BENCH_DATABASE:-$DEFAULT_DATABASE}"
LOAD_DATABASE_URL="${DATABASE_URL%/*}/$BENCH_DATABASE"
LOCUST_VENV=${LOCUST_VENV:-$HOME/.cache/pilote-pix/locust-venv}
RESULTS="$ROOT/bench/load_results"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pilote-pix-load.XXXXXX")
MEDIA="${TMPDIR:-/tmp}/pilote-pix-load/media"  # the seed's stored Pix exports
HOST="http://127.0.0.1:$PORT"
mkdir -p "$RESULTS"

step() { printf '\n== %s\n' "$*"; }

GUNICORN_PID=""
SAMPLER_PID=""
cleanup() {
    rm -rf "$WORK/static"  # 70 MB a run; the logs and the HTML report stay
    if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; fi
    if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill -TERM "$GUNICORN_PID"
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

step "Locust's virtualenv: $LOCUST_VENV"
if [ ! -x "$LOCUST_VENV/bin/locust" ]; then
    python3 -m venv "$LOCUST_VENV"
    "$LOCUST_VENV/bin/pip" install --quiet --disable-pip-version-check 'locust>=2.20'
fi
"$LOCUST_VENV/bin/locust" --version

step "Seeded data (database $BENCH_DATABASE)"
MEDIA_ROOT="$MEDIA" .venv/bin/python bench/load_seed.py --agents "$AGENTS" $RESEED | tee "$WORK/seed.txt"
if [ -n "$STEPS" ]; then  # a stepped run keeps its files apart from the single run's
    rm -rf "$RESULTS/steps"
    mkdir -p "$RESULTS/steps"
    DATASET="$RESULTS/steps/load_dataset.txt"
else
    DATASET="$RESULTS/load_dataset.txt"
fi
sed -n "/^Base $BENCH_DATABASE/,\$p" "$WORK/seed.txt" > "$DATASET"

# Production-like settings: DEBUG off, a secret key, one allowed host, static files through
# WhiteNoise's manifest storage (collected into a temporary STATIC_ROOT: bench/load_settings.py),
# no Redis (nothing these pages do is queued). Only for plain HTTP on loopback: cookies not
# marked Secure (TLS ends at the reverse proxy in production), no proxy in front
# (TRUSTED_PROXY_COUNT=0), and django-axes' failure limit raised out of the way.
export DJANGO_SETTINGS_MODULE=load_settings
export PYTHONPATH="$ROOT/bench:$ROOT"
export LOAD_STATIC_ROOT="$WORK/static"
export STATICFILES_STORAGE=whitenoise.storage.CompressedManifestStaticFilesStorage
export DEBUG=0
export SECRET_KEY
SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export ALLOWED_HOSTS=127.0.0.1
export SECURE_COOKIES=0
export TRUSTED_PROXY_COUNT=0
export AXES_FAILURE_LIMIT=100000
export MEDIA_ROOT="$MEDIA"
export LOG_LEVEL=WARNING
export CONN_MAX_AGE="$CONN_AGE"
unset DJANGO_DEMO REDIS_URL DJANGO_TESTING

step "collectstatic into $LOAD_STATIC_ROOT"
DATABASE_URL="$LOAD_DATABASE_URL" .venv/bin/python manage.py collectstatic --noinput -v0

step "gunicorn on $HOST: $WORKERS $WORKER_CLASS worker(s) x $THREADS thread(s), CONN_MAX_AGE=$CONN_AGE"
DATABASE_URL="$LOAD_DATABASE_URL" .venv/bin/gunicorn -c config/gunicorn.py config.wsgi:application \
    --bind "127.0.0.1:$PORT" --workers "$WORKERS" --worker-class "$WORKER_CLASS" \
    --threads "$THREADS" --timeout 60 --access-logfile "$WORK/access.log" \
    --access-logformat '%(h)s "%(r)s" %(s)s %(b)s %(L)s' \
    --error-logfile "$WORK/gunicorn.log" &
GUNICORN_PID=$!
for _ in $(seq 60); do
    if curl -fs -o /dev/null "$HOST/healthz/"; then break; fi
    if ! kill -0 "$GUNICORN_PID" 2>/dev/null; then cat "$WORK/gunicorn.log"; exit 1; fi
    sleep 0.5
done
curl -fsS -o /dev/null "$HOST/healthz/"
curl -fsS -o /dev/null "$HOST/comptes/connexion/"

# One locust run against the running gunicorn: run_locust USERS DURATION OUT puts its per-page
# CSV, failures and per-role JSON in OUT, and sets START_LOAD, END_LOAD, STEP_CPU (CPU time of
# the gunicorn workers during the run), PG_CPU (PostgreSQL's processes': those that lived
# through the run, enough with --conn-max-age) and LOCUST_RC; locust's own CPU time is in
# the JSON (locust_cpu_s).
run_locust() {
    local users=$1 duration=$2 out=$3 cpu_before
    mkdir -p "$out"
    : > "$WORK/access.log"  # gunicorn appends: this run's requests only
    cpu_before=$(worker_cpu)
    pg_before=$(pg_cpu)
    START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
    LOCUST_RC=0
    LOAD_WAIT="$WAIT" LOAD_ROLES_JSON="$out/load_roles.json" "$LOCUST_VENV/bin/locust" -f bench/locustfile.py \
        --headless -u "$users" -r "$SPAWN_RATE" -t "$duration" --host "$HOST" \
        --csv "$WORK/locust" --html "$WORK/report.html" --only-summary --loglevel WARNING \
        || LOCUST_RC=$?
    END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
    STEP_CPU=$(($(worker_cpu) - cpu_before))
    PG_CPU=$(($(pg_cpu) - pg_before))
    cp "$WORK/locust_stats.csv" "$out/load_stats.csv"
    cp "$WORK/locust_failures.csv" "$out/load_failures.csv"
}
worker_cpu() { ps -o times= --ppid "$GUNICORN_PID" | awk '{s += $1} END {print s + 0}'; }
pg_cpu() { ps -o times= -C postgres | awk '{s += $1} END {print s + 0}'; }

# What else runs on the machine meanwhile (the figures depend on it): a snapshot every 30 s.
(while true; do { date +%T; top -bn1 | sed -n '1,3p;7,16p'; echo; } >> "$WORK/top.txt"; sleep 30; done) &
SAMPLER_PID=$!

if [ -n "$STEPS" ]; then
    # Step mode: one run per user count, in turn, until one fails; the largest that held.
    HELD=0
    LINES=()
    for users in ${STEPS//,/ }; do
        step "locust: $users users, $SPAWN_RATE/s, $STEP_TIME, $WAIT s between pages"
        OUT="$RESULTS/steps/$users"
        run_locust "$users" "$STEP_TIME" "$OUT"
        {
            echo "Step of $(date -u '+%Y-%m-%d %H:%M UTC'): $users users, $SPAWN_RATE/s, $STEP_TIME," \
                "$WAIT s between pages; $AGENTS agents; gunicorn $WORKERS $WORKER_CLASS worker(s) x" \
                "$THREADS thread(s)."
            echo "Load average (1, 5, 15 min) before: $START_LOAD; after: $END_LOAD."
            echo "CPU time of the gunicorn workers: $STEP_CPU s; of PostgreSQL: $PG_CPU s."
            python3 bench/load_report.py "$OUT" --p95-limit "$P95_LIMIT" \
                --access-log "$WORK/access.log" || true
        } | tee "$OUT/load_summary.txt"
        BRIEF=$(python3 bench/load_report.py "$OUT" --brief --p95-limit "$P95_LIMIT" || true)
        BRIEF=${BRIEF:-FAIL (no figures: see $OUT)}
        LINES+=("$users ${BRIEF%)}, load $START_LOAD)")
        if [ "${BRIEF%% *}" = PASS ]; then
            HELD=$users
        else
            break
        fi
        sleep 10  # the last requests drain, the machine settles
    done
    kill "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=""
    cleanup
    GUNICORN_PID=""
    step "Steps"
    {
        echo "Steps of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, $AGENTS agents," \
            "$STEP_TIME each, $SPAWN_RATE users/s, $WAIT s between pages; gunicorn $WORKERS" \
            "$WORKER_CLASS worker(s) x $THREADS thread(s), CONN_MAX_AGE=$CONN_AGE."
        printf '  %s\n' "${LINES[@]}"
        if [ "$HELD" -gt 0 ]; then
            echo "HELD: $HELD users (steady-state p95 < $P95_LIMIT ms overall and for every role, 0 failures)."
        else
            echo "HELD: none (the first step, ${STEPS%%,*} users, failed)."
        fi
    } | tee "$RESULTS/load_steps.txt"
    echo "Per step: $RESULTS/steps/<users>/. Work files (HTML report of the last step, access log, top): $WORK"
    [ "$HELD" -gt 0 ]
    exit $?
fi

step "locust: $USERS users, $SPAWN_RATE/s, $DURATION, $WAIT s between pages"
run_locust "$USERS" "$DURATION" "$RESULTS"
kill "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
cleanup
GUNICORN_PID=""
if [ -n "$KEEP_HTML" ]; then cp "$WORK/report.html" "$RESULTS/load_report.html"; fi

step "Summary"
{
    echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores: $USERS users, $SPAWN_RATE/s," \
        "$DURATION, $WAIT s between pages; $AGENTS agents; gunicorn $WORKERS $WORKER_CLASS worker(s) x" \
        "$THREADS thread(s), CONN_MAX_AGE=$CONN_AGE."
    echo "Load average (1, 5, 15 min) before: $START_LOAD; after: $END_LOAD."
    echo "CPU time of the gunicorn workers: $STEP_CPU s; of PostgreSQL: $PG_CPU s."
    python3 bench/load_report.py "$RESULTS" --p95-limit "$P95_LIMIT" \
        --access-log "$WORK/access.log" || true
} | tee "$RESULTS/load_summary.txt"
VERDICT=$(grep -q '^PASS' "$RESULTS/load_summary.txt" && echo 0 || echo 1)
echo "Locust exit status: $LOCUST_RC. Work files (HTML report, access log, top): $WORK"
exit "$VERDICT"
