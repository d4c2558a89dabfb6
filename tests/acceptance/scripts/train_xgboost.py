"""Boosting rounds of XGBoost and LightGBM on synthetic data: the training loss falls."""

import json

import lightgbm as lgb
import numpy as np
import xgboost as xgb

rng = np.random.default_rng(0)
x = rng.standard_normal((1000, 16))
y = (x[:, :4].sum(axis=1) > 0).astype(int)
evals = {}
xgb.train(
    {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 2},
    xgb.DMatrix(x, label=y),
    num_boost_round=30,
    evals=[(xgb.DMatrix(x, label=y), "train")],
    evals_result=evals,
    verbose_eval=False,
)
losses = evals["train"]["logloss"]
booster = lgb.train(
    {"objective": "binary", "verbose": -1, "num_threads": 2}, lgb.Dataset(x, label=y), num_boost_round=30
)
assert ((booster.predict(x) > 0.5) == y).mean() > 0.9
print(json.dumps({"first": losses[0], "last": losses[-1]}))
