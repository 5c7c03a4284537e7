"""Search, compare, transition: version 1 serves; version 2 replaces it if its metrics are better."""

from mlflow import MlflowClient

NAME = "support-bot"

client = MlflowClient()
versions = sorted(client.search_model_versions(f"name='{NAME}'"), key=lambda mv: int(mv.version))
for mv in versions:
    print(f"found version {mv.version}: stage {mv.current_stage}")
serving, candidate = versions[0], versions[-1]
client.transition_model_version_stage(NAME, serving.version, "Production", archive_existing_versions=True)
client.set_registered_model_alias(NAME, "champion", serving.version)

before = client.get_run(serving.run_id).data.metrics
after = client.get_run(candidate.run_id).data.metrics
for key in sorted(after):
    print(f"{key}: {before[key]:.2f} -> {after[key]:.2f} ({after[key] - before[key]:+.2f})")
if after["accuracy"] > before["accuracy"]:
    client.transition_model_version_stage(NAME, candidate.version, "Production", archive_existing_versions=True)
    client.set_registered_model_alias(NAME, "champion", candidate.version)

for mv in client.get_latest_versions(NAME, stages=["Production"]):
    print(f"production: version {mv.version}")
print(f"champion: version {client.get_model_version_by_alias(NAME, 'champion').version}")
for mv in sorted(client.search_model_versions(f"name='{NAME}'"), key=lambda mv: int(mv.version)):
    print(f"version {mv.version}: stage {mv.current_stage}")
