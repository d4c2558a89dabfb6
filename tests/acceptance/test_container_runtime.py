"""Docker from the distribution (marker `container_runtime`), in every
variant that applies the role: the cpu variant has it too. The gpu variant's
NVIDIA runtime entry is checked in test_gpu_build.py."""

import pytest

pytestmark = pytest.mark.container_runtime


def test_docker_skips_itself_inside_a_container(host):
    """container_runtime_docker_in_containers false (default): Docker's units
    carry ConditionVirtualization=!container, so in a container (this test's,
    the build's) Docker neither fails nor leaves state; a VM starts it."""
    for unit in ("docker.service", "docker.socket"):
        dropin = host.file(f"/etc/systemd/system/{unit}.d/dsvm-not-in-container.conf")
        assert dropin.exists and "ConditionVirtualization=!container" in dropin.content_string
    if host.file("/run/systemd/system").exists and host.run("systemd-detect-virt --container").rc == 0:
        state = host.run("systemctl is-failed docker.service docker.socket").stdout.split()
        assert "failed" not in state, state
        assert not host.service("docker").is_running


def test_docker_engine_enabled(host):
    res = host.run("dpkg-query -W -f='${Status}' docker.io")
    assert res.stdout.endswith(" ok installed"), res.stdout
    assert host.service("docker").is_enabled


def test_docker_command_line_installed(host):
    """The `docker` command, not only the daemon: Debian 13's docker.io only
    recommends its client (docker-cli), and a VM of the gpu image was found
    running dockerd with no `docker` to talk to it."""
    assert host.run("command -v docker").rc == 0, "no docker command"
    assert host.check_output("docker --version").startswith("Docker version")
