"""The demo model served as a Domino Model API: ``predict(x)`` answers ``{"prediction": w * x + b}``.

The weights come from model.json, written by train.py next to this file. They are read on each call,
so a retrained model is served by the next version without code changes.
"""

import json
from pathlib import Path

MODEL_FILE = Path(__file__).resolve().with_name("model.json")


def load_model() -> dict:
    if not MODEL_FILE.exists():
        raise FileNotFoundError(f"{MODEL_FILE.name} not found: run train.py first")
    return json.loads(MODEL_FILE.read_text())


def predict(x) -> dict:
    """Score one value of x (a number, or text holding one)."""
    model = load_model()
    return {"prediction": model["weight"] * float(x) + model["bias"]}
