#!/usr/bin/env bash
# make demo: run the example DAG domino_train_register_deploy against the local Domino emulator.
#
# A throw-away AIRFLOW_HOME (SQLite) and a copy of example_dags/project (as the project "demo-project")
# are made in a temporary folder; the emulator listens on a free port; `airflow dags test` runs the DAG.
# The emulator is always stopped and the temporary folder removed, also on failure or Ctrl-C.
# The exit code is the DAG run's outcome (0: success). DEMO_LOG=FILE keeps the full `airflow dags test` output.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DAG_ID="domino_train_register_deploy"
PROJECT_ID="demo-project"
PYTHON="${PYTHON:-python}"
START=$SECONDS

WORK="$(mktemp -d "${TMPDIR:-/tmp}/domino-demo.XXXXXX")"
EMULATOR_PID=""

cleanup() {
    if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
        kill -TERM "$EMULATOR_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$EMULATOR_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
        echo "==> Emulator stopped"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { echo "==> $*"; }

# A private Airflow: its own home and SQLite database, only the example DAGs, nothing from the shell.
for name in $(env | sed -n 's/^\(AIRFLOW__[A-Za-z0-9_]*\|AIRFLOW_CONN_[A-Za-z0-9_]*\|AIRFLOW_VAR_[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$name"
done
export AIRFLOW_HOME="$WORK/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/example_dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
export AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS=False
export AIRFLOW__LOGGING__LOGGING_LEVEL=INFO
mkdir -p "$AIRFLOW_HOME" "$WORK/projects"

step "Airflow $(airflow version 2>/dev/null | tail -n 1), home $AIRFLOW_HOME"
airflow db migrate >"$WORK/db.log" 2>&1 || { cat "$WORK/db.log" >&2; exit 1; }

step "Starting the Domino emulator with project $PROJECT_ID (example_dags/project)"
cp -R "$ROOT/example_dags/project" "$WORK/projects/$PROJECT_ID"
rm -rf "$WORK/projects/$PROJECT_ID/__pycache__" "$WORK/projects/$PROJECT_ID/model.json"
API_KEY="demo-key-$RANDOM$RANDOM"
MODEL_TOKEN="demo-token-$RANDOM$RANDOM"
"$PYTHON" -m airflow_provider_domino.emulator --projects "$WORK/projects" --port 0 \
    --api-key "$API_KEY" --model-token "$MODEL_TOKEN" --build-seconds 1 \
    >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
EMULATOR_PID=$!

URL=""
for _ in $(seq 1 100); do
    line="$(head -n 1 "$WORK/emulator.out" 2>/dev/null || true)"
    if [[ "$line" == "Domino emulator listening on "* ]]; then
        URL="${line#Domino emulator listening on }"
        break
    fi
    kill -0 "$EMULATOR_PID" 2>/dev/null || break
    sleep 0.1
done
if [[ -z "$URL" ]]; then
    echo "The emulator did not start:" >&2
    cat "$WORK/emulator.err" >&2
    exit 1
fi
step "Emulator listening on $URL (pid $EMULATOR_PID)"
export AIRFLOW_CONN_DOMINO_DEFAULT="{\"conn_type\": \"domino\", \"host\": \"$URL\", \"password\": \"$API_KEY\", \"extra\": {\"model_access_token\": \"$MODEL_TOKEN\"}}"

step "Running: airflow dags test $DAG_ID"
LOG="$WORK/dags-test.log"
# The run's outcome is read from the database below, the same way on Airflow 3 and 2.11.
airflow dags test "$DAG_ID" >"$LOG" 2>&1 || true
if [[ -n "${DEMO_LOG:-}" ]]; then cp "$LOG" "$DEMO_LOG"; fi

# Each task's outcome, from the metadata database (the same on Airflow 3 and 2.11).
OUTCOME=0
"$PYTHON" - "$DAG_ID" "$LOG" <<'PY' || OUTCOME=$?
import re
import sys

dag_id, log_file = sys.argv[1], sys.argv[2]
from airflow.models import DagRun
from airflow.utils.session import create_session

with create_session() as session:
    runs = session.query(DagRun).filter(DagRun.dag_id == dag_id).all()
    if not runs:
        print(open(log_file).read()[-5000:])
        print("No DAG run was recorded.")
        sys.exit(1)
    run = runs[-1]
    order = ["train", "register", "deploy", "wait_running", "smoke_test", "check_prediction"]
    tis = sorted(run.get_task_instances(session=session), key=lambda ti: order.index(ti.task_id) if ti.task_id in order else 99)
    for ti in tis:
        state = getattr(ti.state, "value", ti.state) or "none"
        print(f"    {ti.task_id:<18} {state}")
    state = str(getattr(run.state, "value", run.state))
text = open(log_file).read()
# A few lines of what the tasks logged, without Airflow's log prefixes (Airflow 3 and 2.11 formats).
HIGHLIGHTS = ("Started Domino job", "trained on", "training RMSE", "Registered model", "Created Model API",
              "as DEFERRED", "deferring", "checking again", "Trigger completed", "answered in")
print("==> What the tasks said")
for line in text.splitlines():
    if any(h in line for h in HIGHLIGHTS):
        line = re.sub(r"^\S+ \[\w+\s*\] ", "", line)  # Airflow 3: timestamp [level]
        line = re.sub(r"^\[[^]]*\] \{[^}]*\} \w+ - ", "", line)  # Airflow 2: [time] {file:line} LEVEL -
        line = re.sub(r"\s+\[[\w.]+\]( \w+=.*)?$", "", line)  # Airflow 3: [logger] key=value...
        print(f"    {line.strip()[:110]}")
prediction = re.search(r"Prediction for x=.*", text)
if prediction:
    print(f"==> {prediction.group(0).strip()}")
if state != "success":
    print(text[-8000:])
print(f"==> DAG run {state}")
sys.exit(0 if state == "success" else 1)
PY
step "Done in $((SECONDS - START)) s"
exit $OUTCOME
