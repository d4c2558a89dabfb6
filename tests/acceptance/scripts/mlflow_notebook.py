"""MLflow from a notebook: execute a notebook in KERNEL (nbclient) whose cell
logs a run (a parameter and a metric) to the tracking store named by
MLFLOW_TRACKING_URI; prints the run's and its experiment's ids, as the
notebook printed them.

    python mlflow_notebook.py KERNEL
"""

import sys

import nbformat
from nbclient import NotebookClient

CELL = """
import mlflow
mlflow.set_experiment("dsvm-acceptance")
with mlflow.start_run() as run:
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("rmse", 0.25)
print(run.info.run_id, run.info.experiment_id)
"""

nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell(CELL)]
NotebookClient(nb, kernel_name=sys.argv[1], timeout=300).execute()
print(
    "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("name") == "stdout")
    .strip()
    .splitlines()[-1]
)
