"""The hub's first-boot certificate generator (roles/jupyterhub/templates/
dsvm-jupyterhub-tls.j2), rendered and run here on a scratch directory: it
makes a self-signed pair where there is none, and never overwrites a supplied
certificate whose key has not been delivered (it keeps it aside). The VM
suite (tests/vm, make ci-vm) runs it in a booted image."""

import grp
import hashlib
import os
import shutil
import subprocess

import jinja2
import pytest

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed here")


@pytest.fixture
def generator(repo_root, tmp_path):
    text = (repo_root / "roles/jupyterhub/templates/dsvm-jupyterhub-tls.j2").read_text()
    script = tmp_path / "dsvm-jupyterhub-tls"
    script.write_text(
        jinja2.Template(text).render(
            ansible_managed="test",
            jupyterhub_tls_dir=str(tmp_path / "tls"),
            jupyterhub_proxy_user=grp.getgrgid(os.getgid()).gr_name,
        )
    )
    script.chmod(0o755)
    return script


def run(script):
    return subprocess.run([str(script)], capture_output=True, text=True, timeout=120, check=True)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_pair(directory, name):
    out = ["-subj", f"/CN={name}", "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", *out],
        capture_output=True,
        check=True,
    )


def test_makes_a_private_pair_where_there_is_none(generator, tmp_path):
    run(generator)
    tls = tmp_path / "tls"
    assert (tls / "key.pem").stat().st_mode & 0o777 == 0o640
    assert (tls / "cert.pem").stat().st_mode & 0o777 == 0o644
    assert (tls / ".generated").exists()
    assert not (tls / "cert.pem.supplied").exists()


def test_keeps_a_supplied_certificate_aside_when_its_key_is_missing(generator, tmp_path):
    tls = tmp_path / "tls"
    tls.mkdir()
    make_pair(tls, "supplied.example")
    (tls / "key.pem").unlink()  # cleanup removed it; not delivered to this machine
    supplied = sha256(tls / "cert.pem")
    result = run(generator)
    assert sha256(tls / "cert.pem.supplied") == supplied
    assert sha256(tls / "cert.pem") != supplied
    assert (tls / "key.pem").exists() and (tls / ".generated").exists()
    assert "cert.pem.supplied" in result.stderr
    # Run again (the unit's condition aside): nothing more moves.
    run(generator)
    assert sha256(tls / "cert.pem.supplied") == supplied


def test_leaves_a_delivered_pair_alone(generator, tmp_path):
    tls = tmp_path / "tls"
    tls.mkdir()
    make_pair(tls, "supplied.example")
    before = {p.name: sha256(p) for p in tls.iterdir()}
    run(generator)
    assert {p.name: sha256(p) for p in tls.iterdir()} == before
