"""Train the demo model: fit y = w*x + b by least squares on data made here, save it to model.json.

Standard library only. The data is y = 3x + 2 plus small seeded noise, so the fit is checkable:
w should come out close to 3 and b close to 2, and predict(x=10) close to 32.
"""

import json
import math
import random
from pathlib import Path

SEED = 42
TRUE_W, TRUE_B, NOISE = 3.0, 2.0, 0.1


def make_data(n: int = 200) -> list[tuple[float, float]]:
    rng = random.Random(SEED)
    xs = [rng.uniform(-10.0, 10.0) for _ in range(n)]
    return [(x, TRUE_W * x + TRUE_B + rng.gauss(0.0, NOISE)) for x in xs]


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Ordinary least squares for one feature: w = cov(x, y) / var(x), b = mean(y) - w * mean(x)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    cov = sum((x - mean_x) * (y - mean_y) for x, y in points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    w = cov / var
    return w, mean_y - w * mean_x


def main() -> None:
    points = make_data()
    w, b = fit(points)
    rmse = math.sqrt(sum((w * x + b - y) ** 2 for x, y in points) / len(points))
    model = {"weight": w, "bias": b, "rmse": rmse, "rows": len(points), "seed": SEED}
    Path(__file__).with_name("model.json").write_text(json.dumps(model, indent=2) + "\n")
    print(f"trained on {len(points)} rows: y = {w:.4f} * x + {b:.4f}")
    print(f"training RMSE: {rmse:.4f}")
    print("wrote model.json")


if __name__ == "__main__":
    main()
