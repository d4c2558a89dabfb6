#!/usr/bin/env bash
# Validate every Packer source with its example variables (no credentials
# needed): the docker source with the defaults, the others with
# packer/examples/*.pkrvars.hcl. Run from the repository root.
set -euo pipefail
declare -A sources=([docker]="" [qemu]=examples/qemu.pkrvars.hcl [azure-arm]=examples/azure.pkrvars.hcl
                    [amazon-ebs]=examples/aws.pkrvars.hcl [googlecompute]=examples/gcp.pkrvars.hcl)
# The qemu example names the user's own key; validation gets a throwaway one.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ssh-keygen -q -t ed25519 -N '' -f "$tmp/key"
rc=0
for variant in cpu gpu; do
  for src in "${!sources[@]}"; do
    args=(-var-file="packer/$variant.pkrvars.hcl")
    [[ -n "${sources[$src]}" ]] && args+=(-var-file="packer/${sources[$src]}")
    [[ "$src" == qemu ]] && args+=(-var "ssh_private_key_file=$tmp/key")
    if packer validate "${args[@]}" -only="$src.dsvm" packer >/dev/null; then
      echo "packer validate: $src ($variant) ok"
    else
      packer validate "${args[@]}" -only="$src.dsvm" packer || true
      echo "packer validate: $src ($variant) FAILED" >&2
      rc=1
    fi
  done
done
exit "$rc"
