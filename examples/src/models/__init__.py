"""The example project's models, as they are today."""
