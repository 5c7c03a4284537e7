#!/usr/bin/env bash
# MLflow's UI over an llmgit registry: `mlflow server --registry-store-uri llmgit:REPO`.
#
# By default a temporary git repository with a local DVC remote is set up and two models are
# registered through the plugin with MlflowClient (versions, stages, aliases, tags).
# LLMGIT_REPO=path serves an existing registry instead; PORT picks the port (default 5000).
# The server runs in the foreground on 127.0.0.1; Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH" MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false  # no background job runners: the UI does not need them
port=${PORT:-5000}
work=$(mktemp -d "${TMPDIR:-/tmp}/llmgit-mlflow-XXXXXX")

if [ -n "${LLMGIT_REPO:-}" ]; then
  repo=$(cd "$LLMGIT_REPO" && pwd)
else
  repo=$work/experiments
  export XDG_DATA_HOME=$work/data
  mkdir "$repo"
  git -C "$repo" init -q -b main
  git -C "$repo" config user.name "Demo Scientist"
  git -C "$repo" config user.email demo@example.com
  echo "# training script" >"$repo/train.py"
  git -C "$repo" add train.py
  git -C "$repo" commit -q -m "training code"
  llmgit -C "$repo" init --remote "$work/dvc-remote"
  python - "$repo" "$work" <<'EOF'
import hashlib
import json
import sys
import warnings
from pathlib import Path

from mlflow import MlflowClient

warnings.filterwarnings("ignore", category=FutureWarning)  # stages are deprecated in MLflow, not in llmgit

repo, work = Path(sys.argv[1]), Path(sys.argv[2])
client = MlflowClient(tracking_uri=f"sqlite:///{work / 'mlflow.db'}", registry_uri=f"llmgit://{repo}")


def weights(name: str, seed: int) -> str:
    """A tiny stand-in for a fine-tuned model: config, tokenizer and one shard."""
    path = work / "out" / f"{name}-{seed}"
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"], "seed": seed}))
    (path / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE"}, "vocab_size": 32000}))
    block = hashlib.sha256(f"{name}-{seed}".encode()).digest()
    (path / "model-00001-of-00001.safetensors").write_bytes(block * 4096)
    return str(path)


models = {
    "llama2-7b-alpaca": ("Llama 2 7B, LoRA on Alpaca", "nlp", ["tatsu-lab/alpaca"] * 2 + ["tatsu-lab/alpaca-cleaned"]),
    "mistral-7b-chat": ("Mistral 7B chat", "chat", ["ultrachat"] * 2),
}
for name, (description, team, datasets) in models.items():
    client.create_registered_model(name, tags={"team": team}, description=description)
    for seed, dataset in enumerate(datasets, 1):
        mv = client.create_model_version(name, weights(name, seed), tags={"dataset": dataset})
        print(f"registered {name} version {mv.version} ({mv.tags['llmgit.tag']})")
stages = [
    ("llama2-7b-alpaca", "1", "Production"),
    ("llama2-7b-alpaca", "2", "Production"),
    ("llama2-7b-alpaca", "3", "Staging"),
    ("mistral-7b-chat", "1", "Production"),
]
for name, version, stage in stages:
    client.transition_model_version_stage(name, version, stage, archive_existing_versions=True)
    print(f"{name} version {version} -> {stage}")
for name, alias, version in [
    ("llama2-7b-alpaca", "champion", "2"),
    ("llama2-7b-alpaca", "challenger", "3"),
    ("mistral-7b-chat", "champion", "1"),
]:
    client.set_registered_model_alias(name, alias, version)
    print(f"{name}@{alias} -> version {version}")
EOF
  llmgit -C "$repo" stages
fi

echo
echo "Registry: $repo"
echo "Open http://127.0.0.1:$port/#/models  (Ctrl-C stops the server)"
echo
exec mlflow server --host 127.0.0.1 --port "$port" --workers 1 \
  --backend-store-uri "sqlite:///$work/mlflow.db" --default-artifact-root "file://$work/artifacts" \
  --registry-store-uri "llmgit:$repo"
