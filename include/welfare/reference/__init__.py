"""Reference data shipped with the project: the synthetic Hà Tĩnh registry and its generator."""
