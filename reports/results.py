"""Reading one figure out of a compute() result: shared by the report pages and goals."""


def lookup(result: dict | None, path: str):
    """``result["a"]["b"]`` for path ``"a.b"``; the metric's own result for ``""``; None when absent."""
    value = result
    for part in [p for p in path.split(".") if p] if path else []:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def figure_id(metric: str, field: str) -> str:
    """A figure's stable id: the metric id for its value, else ``metric.field``."""
    return metric if field == "value" else f"{metric}.{field}"
