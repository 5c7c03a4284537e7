"""Registration: two fine-tuning runs, each logging params, metrics and the model, each registered.

MLflow reads MLFLOW_TRACKING_URI and MLFLOW_REGISTRY_URI from the environment; nothing else
here knows which registry it talks to.
"""

import hashlib
import json
from pathlib import Path

import mlflow

NAME = "support-bot"


def fine_tune(seed: int, params: dict[str, str]) -> Path:
    """Stands in for training: writes a small model directory (config and two weight shards)."""
    out = Path("out") / f"support-bot-{seed}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(params, sort_keys=True) + "\n")
    for shard in range(2):
        block = hashlib.sha256(f"{seed}-{shard}".encode()).digest()
        (out / f"model-{shard:05d}-of-00002.safetensors").write_bytes(block * 128)
    mlflow.models.Model().save(str(out / "MLmodel"))  # an MLflow model directory
    return out


mlflow.set_experiment("support-bot")
for seed, params, metrics in (
    (1, {"learning_rate": "3e-4", "lora_r": "8"}, {"accuracy": 0.81, "loss": 0.52}),
    (2, {"learning_rate": "1e-4", "lora_r": "16"}, {"accuracy": 0.86, "loss": 0.41}),
):
    with mlflow.start_run() as run:
        mlflow.log_params(params)
        model_dir = fine_tune(seed, params)
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(model_dir), "model")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", NAME)
    print(f"registered {NAME} version {mv.version}: accuracy {metrics['accuracy']}, lora_r {params['lora_r']}")
