#!/usr/bin/env bash
# Build the collection tarball, install it into an empty collections path
# (outside this tree, without the .collections link) and prove that another
# playbook resolves dsvm.image.base and its argument spec from it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
ansible-galaxy collection build --force --output-path "$work" . >/dev/null
tarball=$(ls "$work"/dsvm-image-*.tar.gz)
echo "check-collection: built $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"
if tar -tzf "$tarball" | grep -E '(^|/)(molecule|tests|\.venv|\.collections|packer)/' ; then
  echo "check-collection: the tarball holds development files (above)" >&2; exit 1
fi
printf "[defaults]\n" >"$work/ansible.cfg"
export ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$work/collections"
ansible-galaxy collection install --offline -p "$work/collections" "$tarball" >/dev/null
mkdir -p "$work/user"
cat >"$work/user/play.yml" <<'PLAY'
- name: A user's own playbook
  hosts: all
  become: true
  roles:
    - role: dsvm.image.base
      vars:
        base_timezone: Europe/Paris
PLAY
cd "$work/user"
ansible-playbook -i localhost, --syntax-check play.yml >/dev/null
ansible-doc -t role dsvm.image.base | grep -q base_ca_certificates
echo "check-collection: dsvm.image.base resolves from the installed tarball"
