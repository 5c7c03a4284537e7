"""Rollback: production goes back to the earlier version, by stage and by the champion alias."""

from mlflow import MlflowClient

NAME = "support-bot"

client = MlflowClient()
current = client.get_latest_versions(NAME, stages=["Production"])[0]
previous = str(int(current.version) - 1)
print(f"production was version {current.version}; rolling back to version {previous}")
client.set_registered_model_alias(NAME, "champion", previous)
client.transition_model_version_stage(NAME, previous, "Production", archive_existing_versions=True)

for mv in client.get_latest_versions(NAME, stages=["Production"]):
    print(f"production: version {mv.version}")
print(f"champion: version {client.get_model_version_by_alias(NAME, 'champion').version}")
for mv in sorted(client.search_model_versions(f"name='{NAME}'"), key=lambda mv: int(mv.version)):
    print(f"version {mv.version}: stage {mv.current_stage}")
