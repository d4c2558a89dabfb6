# Local VM image from Debian's cloud image. Pin the image's checksum (from the
# SHA512SUMS next to it) and give cloud-init a seed that authorises your key.
qemu_iso_url         = "https://cloud.debian.org/images/cloud/bookworm/20251117-2299/debian-12-genericcloud-amd64-20251117-2299.qcow2"
qemu_iso_checksum    = "sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
qemu_accelerator     = "tcg"
ssh_username         = "debian"
ssh_private_key_file = "~/.ssh/id_ed25519"
qemu_cd_files        = ["packer/examples/cloud-init/user-data", "packer/examples/cloud-init/meta-data"]
