"""Vowpal Wabbit: train a logistic model on a generated file (two separable
classes in VW's text format), predict on a held-out file; prints one JSON line
with the accuracy and the model's size."""

import json
import os
import random
import sys
import tempfile

from vowpalwabbit import Workspace


def write(path, n, rng):
    rows = []
    with open(path, "w") as f:
        for _ in range(n):
            x1, x2 = rng.uniform(-1, 1), rng.uniform(-1, 1)
            label = 1 if x1 + 2 * x2 > 0 else -1
            rows.append(label)
            f.write(f"{label} | x1:{x1:.4f} x2:{x2:.4f}\n")
    return rows


def main():
    rng = random.Random(0)  # noqa: S311 - test data, not a secret
    work = tempfile.mkdtemp()
    train, test, model = (os.path.join(work, n) for n in ("train.vw", "test.vw", "model.vw"))
    write(train, 4000, rng)
    labels = write(test, 500, rng)
    vw = Workspace(f"--loss_function logistic --passes 3 --cache_file {work}/c --quiet -d {train} -f {model}")
    vw.finish()
    vw = Workspace(f"-i {model} --quiet")
    with open(test) as f:
        preds = [vw.predict(line) for line in f]
    vw.finish()
    accuracy = sum((p > 0) == (y > 0) for p, y in zip(preds, labels, strict=True)) / len(labels)
    print(json.dumps({"accuracy": accuracy, "model_bytes": os.path.getsize(model), "python": sys.executable}))


if __name__ == "__main__":
    main()
