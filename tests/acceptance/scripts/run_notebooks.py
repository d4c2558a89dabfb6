"""Execute notebooks headless, each in the kernel its metadata names and in its
own folder (as `jupyter nbconvert --execute` would); prints one JSON line:
{file: {"kernel": name, "seconds": s, "error": null or the error's end}}.

    python run_notebooks.py NOTEBOOK.ipynb [...]
"""

import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient

results = {}
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    start, error = time.time(), None
    try:
        client = NotebookClient(
            nb, kernel_name=kernel, timeout=600, resources={"metadata": {"path": os.path.dirname(path)}}
        )
        client.execute()
    except Exception as err:  # reported; the test fails on it
        error = f"{type(err).__name__}: {str(err)[-1500:]}"
    results[os.path.basename(path)] = {
        "kernel": kernel,
        "seconds": round(time.time() - start, 1),
        "error": error,
    }
print(json.dumps(results))
