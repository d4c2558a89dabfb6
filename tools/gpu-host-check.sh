#!/usr/bin/env bash
# tools/gpu-host-check.sh [PYTEST ARGS...]: on a machine with an NVIDIA GPU, as
# root, from a checkout of this repository:
#   1. the nvidia_driver role's runtime steps against this machine (connection
#      local): the PCI probe for vendor 0x10de, loading the module, starting
#      nvidia-persistenced (where systemd runs), nvidia-smi;
#   2. the gpu acceptance checks (pytest -m gpu --hosts=local://).
# PYTEST ARGS go to pytest, e.g. --dsvm-gpu-expect driver_branch=580 where the
# machine has no DSVM manifest. Needs ansible-core (ANSIBLE_PLAYBOOK, or
# ansible-playbook on PATH) and pytest with pytest-testinfra (PYTEST).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
playbook_cmd="${ANSIBLE_PLAYBOOK:-ansible-playbook}"
pytest_cmd="${PYTEST:-pytest}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The collection dsvm.image is this checkout.
mkdir -p "$work/collections/ansible_collections/dsvm"
ln -s "$root" "$work/collections/ansible_collections/dsvm/image"
persistenced=true
if [[ ! -d /run/systemd/system ]]; then
  echo "gpu-host-check: systemd is not running here: nvidia-persistenced is not started"
  persistenced=false
fi
cat >"$work/runtime.yml" <<'EOF'
- name: The nvidia_driver role's runtime steps on this machine
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Run them
      ansible.builtin.include_role:
        name: dsvm.image.nvidia_driver
        tasks_from: runtime
      vars:
        __nvidia_driver_kernel: "{{ lookup('ansible.builtin.pipe', 'uname -r') }}"
EOF
echo "== nvidia_driver runtime steps"
printf '[defaults]\n' >"$work/ansible.cfg"
ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_CONFIG="$work/ansible.cfg" \
  "$playbook_cmd" -v -i localhost, "$work/runtime.yml" -e "nvidia_driver_persistenced=$persistenced"
echo "== gpu acceptance checks"
"$pytest_cmd" tests/acceptance/test_gpu.py -m gpu --hosts=local:// -rA "$@"
