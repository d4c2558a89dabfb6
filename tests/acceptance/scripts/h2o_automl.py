"""H2O AutoML on the prostate data bundled with the h2o package, in a local
H2O server of its own (a free port: h2o.init() would otherwise join any H2O
already listening on 54321, another user's included); prints one JSON line."""

import json
import socket

import h2o
from h2o.automl import H2OAutoML

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
h2o.init(port=port, nthreads=2, max_mem_size="1G", verbose=False)
try:
    df = h2o.load_dataset("prostate")
    df["CAPSULE"] = df["CAPSULE"].asfactor()
    aml = H2OAutoML(max_models=3, nfolds=3, seed=1, include_algos=["GLM", "GBM", "DRF"], verbosity=None)
    aml.train(y="CAPSULE", x=["AGE", "RACE", "PSA", "GLEASON", "DPROS", "DCAPS", "VOL"], training_frame=df)
    board = h2o.as_list(aml.leaderboard)
    print(json.dumps({"port": port, "models": list(board["model_id"]), "auc": float(board["auc"].iloc[0])}))
finally:
    h2o.cluster().shutdown()
