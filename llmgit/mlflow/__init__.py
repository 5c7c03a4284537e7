"""MLflow's model-registry store over an llmgit registry (``docs/mlflow-plugin.md``).

MLflow loads :class:`~llmgit.mlflow.store.LlmgitRegistryStore` through the
``mlflow.model_registry_store`` entry point for registry URIs ``llmgit:PATH``, so
``MlflowClient``, ``mlflow.register_model`` and ``mlflow server --registry-store-uri llmgit:PATH``
work on git. This package is the top layer beside the CLI: it calls llmgit's API and
features, and nothing in llmgit imports it. It needs the ``mlflow`` extra (``mlflow-skinny``).
"""
