"""dsvm-info merges the roles' manifest fragments and prints them."""

import json
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader

import pytest


@pytest.fixture(scope="module")
def dsvm_info(repo_root):
    path = str(repo_root / "roles/base/files/dsvm-info")
    loader = SourceFileLoader("dsvm_info", path)
    module = module_from_spec(spec_from_loader("dsvm_info", loader))
    loader.exec_module(module)
    return module


def write(dirpath, name, data):
    (dirpath / name).write_text(json.dumps(data))


def test_fragments_merge_in_name_order(tmp_path, dsvm_info):
    write(tmp_path, "00-image.json", {"image": {"name": "dsvm", "variant": "cpu", "version": "1"}})
    write(
        tmp_path,
        "10-base.json",
        {"role": "base", "components": {"git": "1:2.39", "curl": "7"}, "settings": {"group": "ds"}},
    )
    write(
        tmp_path,
        "20-hub.json",
        {
            "role": "jupyterhub",
            "components": {"curl": "8"},
            "services": {"hub": {"url": "https://{host}:8000/"}},
            "gpu": {"module": "open"},
        },
    )
    merged = dsvm_info.load(tmp_path)
    assert merged["image"]["variant"] == "cpu"
    assert merged["components"] == {"git": "1:2.39", "curl": "8"}
    assert merged["roles"] == ["base", "jupyterhub"]
    assert merged["settings"] == {"base": {"group": "ds"}}
    assert merged["gpu"] == {"module": "open"}
    text = dsvm_info.render(merged, "dsvm.example")
    assert "dsvm 1 (cpu variant)" in text
    assert "https://dsvm.example:8000/" in text
    assert "curl  8" in text


def test_json_output(tmp_path, dsvm_info, capsys):
    write(tmp_path, "00-image.json", {"image": {"variant": "gpu"}})
    assert dsvm_info.main(["--json", "--dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["image"]["variant"] == "gpu"


def test_missing_manifest_is_a_clear_error(tmp_path, dsvm_info):
    with pytest.raises(SystemExit, match="does not exist"):
        dsvm_info.load(tmp_path / "nope")


def test_broken_fragment_is_named(tmp_path, dsvm_info):
    (tmp_path / "10-bad.json").write_text("{not json")
    with pytest.raises(SystemExit, match=r"10-bad\.json"):
        dsvm_info.load(tmp_path)


def test_sbom_path(tmp_path, dsvm_info, capsys):
    manifest_d = tmp_path / "manifest.d"
    manifest_d.mkdir()
    with pytest.raises(SystemExit, match=r"no SBOM at .*sbom\.yml"):
        dsvm_info.main(["--sbom", "--dir", str(manifest_d)])
    (tmp_path / "sbom.cdx.json").write_text("{}")
    assert dsvm_info.main(["--sbom", "--dir", str(manifest_d)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "sbom.cdx.json")
