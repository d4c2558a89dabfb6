"""Tools data scientists expect on a DSVM besides the frameworks, run as they
would run them (marker python_envs): MLflow tracking from a notebook, listed
from the command line; Vowpal Wabbit training and predicting; the Azure and
AWS command lines in a user's terminal; a Spark job from spark-submit; H2O
AutoML."""

import json

import pytest
from dsvm_host import SCRIPTS, default_env, files_on_host, last_json, login_shell, pinned, run_script

pytestmark = pytest.mark.python_envs


def test_mlflow_run_from_a_notebook_listed_from_the_command_line(host, manifest, pam_user):
    """A user's notebook in the default kernel logs a run to a local store; the
    `mlflow` command of their terminal lists it and shows its parameter and metric."""
    default = default_env(manifest)
    assert pinned(default, "mlflow"), "the default environment has no MLflow"
    name, _ = pam_user
    script = (SCRIPTS / "mlflow_notebook.py").read_text()
    with files_on_host(host, {"mlflow_notebook.py": script}) as work:
        host.check_output("chmod 0777 %s && chmod 0644 %s/mlflow_notebook.py", work, work)
        env = f"MLFLOW_TRACKING_URI=sqlite:///{work}/mlflow.db"
        res = login_shell(host, name, f"cd {work} && {env} python mlflow_notebook.py {default['kernel']}")
        assert res.rc == 0, res.stderr[-3000:]
        run_id, experiment_id = res.stdout.strip().splitlines()[-1].split()
        res = login_shell(host, name, f"cd {work} && {env} mlflow runs list --experiment-id {experiment_id}")
        assert res.rc == 0 and run_id in res.stdout, res.stdout + res.stderr[-2000:]
        res = login_shell(host, name, f"cd {work} && {env} mlflow runs describe --run-id {run_id}")
        assert res.rc == 0, res.stderr[-2000:]
        data = json.loads(res.stdout[res.stdout.index("{") :])["data"]
        assert data["params"] == {"alpha": "0.5"} and data["metrics"] == {"rmse": 0.25}, data


def test_vowpal_wabbit_trains_and_predicts(host, manifest):
    default = default_env(manifest)
    assert pinned(default, "vowpalwabbit"), "the default environment has no Vowpal Wabbit"
    res = run_script(host, SCRIPTS / "vw_train.py", interpreter=default["python"])
    assert res.rc == 0, res.stderr[-2000:]
    out = last_json(res)
    assert out["accuracy"] > 0.95 and out["model_bytes"] > 0, out


def test_cloud_command_lines_answer_in_a_users_terminal(host, manifest, pam_user):
    """`az version` and `aws --version` answer from a user's login shell, from the
    environment that lists them in its commands (cloud-cli in the image)."""
    commands = {
        c.rsplit("/", 1)[-1]: c for env in manifest["python_envs"].values() for c in env.get("commands", [])
    }
    if not {"az", "aws"} & set(commands):
        pytest.skip("no environment of this image puts az or aws on PATH (cloud-cli is not enabled)")
    assert {"az", "aws"} <= set(commands), commands
    name, _ = pam_user
    res = login_shell(host, name, "AZURE_CORE_COLLECT_TELEMETRY=no az version --output json")
    assert res.rc == 0, res.stderr[-2000:]
    assert json.loads(res.stdout)["azure-cli"], res.stdout
    res = login_shell(host, name, "aws --version")
    assert res.rc == 0 and (res.stdout + res.stderr).startswith("aws-cli/"), res.stdout + res.stderr


def env_with_command(manifest, program):
    """The environment that puts PROGRAM on users' PATH; skips where none does."""
    for name, env in manifest["python_envs"].items():
        if any(c.rsplit("/", 1)[-1] == program for c in env.get("commands", [])):
            return name, env
    pytest.skip(f"no environment of this image puts {program} on PATH (spark is not enabled)")


@pytest.mark.slow
def test_spark_job_submitted_from_a_users_terminal(host, manifest, pam_user):
    """`spark-submit` in a user's login shell runs a local-mode job: a DataFrame
    aggregation, a small MLlib fit, and a Python UDF whose worker runs the same
    environment's Python as the driver, on Debian's Java."""
    _, env = env_with_command(manifest, "spark-submit")
    assert env["system_packages"], env
    for package in env["system_packages"]:
        assert host.package(package).is_installed, package
    name, _ = pam_user
    with files_on_host(host, {"spark_job.py": (SCRIPTS / "spark_job.py").read_text()}) as work:
        host.check_output("chmod 0777 %s && chmod 0644 %s/spark_job.py", work, work)
        res = login_shell(host, name, f"cd {work} && spark-submit --master 'local[2]' spark_job.py")
    assert res.rc == 0, res.stderr[-3000:]
    out = last_json(res)
    assert out["counts"] == {"0": 667, "1": 667, "2": 666}, out
    assert out["accuracy"] > 0.95, out
    env_bin = env["python"].rsplit("/", 1)[0]
    assert out["driver"].rsplit("/", 1)[0] == env_bin and out["worker"].rsplit("/", 1)[0] == env_bin, out


@pytest.mark.slow
def test_h2o_automl_finishes_with_a_leaderboard(host, manifest, pam_user):
    """As a user, H2O AutoML on its bundled prostate data trains the three
    models asked for and ranks them by AUC."""
    envs = [env for env in manifest["python_envs"].values() if pinned(env, "h2o")]
    if not envs:
        pytest.skip("no environment of this image has H2O (spark is not enabled)")
    name, _ = pam_user
    with files_on_host(host, {"h2o_automl.py": (SCRIPTS / "h2o_automl.py").read_text()}) as work:
        host.check_output("chmod 0777 %s && chmod 0644 %s/h2o_automl.py", work, work)
        res = login_shell(host, name, f"cd {work} && {envs[0]['python']} h2o_automl.py")
    assert res.rc == 0, res.stdout[-2000:] + res.stderr[-3000:]
    out = last_json(res)
    assert len(out["models"]) == 3, out
    assert {m.split("_")[0] for m in out["models"]} == {"GLM", "GBM", "DRF"}, out
    assert out["auc"] > 0.7, out
