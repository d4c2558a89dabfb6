locals {
  # The docker source's container is named so that Ansible and testinfra reach
  # it through the docker connection, not Packer's SSH proxy. The build id
  # makes the name unique per build: two builds on one machine never share
  # (or remove) each other's container.
  build_id       = var.build_id != "" ? var.build_id : substr(uuidv4(), 0, 8)
  container_name = "packer-${var.image_name}-${var.variant}-${var.docker_distro}-${local.build_id}"
  image_label    = "${var.image_name}-${var.variant}-${replace(var.image_version, ".", "-")}"
}

source "docker" "dsvm" {
  image  = var.docker_base_image
  pull   = false
  commit = true
  # systemd as PID 1, without --privileged (refused on many CI hosts).
  run_command = concat(
    [
      "-d", "-i", "-t", "--name", local.container_name,
      "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
      "--tmpfs", "/run", "--tmpfs", "/run/lock",
      "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro",
    ],
    flatten([for m in var.docker_mounts : ["-v", m]]),
    ["{{.Image}}", "/lib/systemd/systemd"],
  )
  changes = [
    "CMD [\"/lib/systemd/systemd\"]",
    "ENV container=docker",
    "LABEL org.dsvm.variant=${var.variant} org.dsvm.version=${var.image_version} org.dsvm.commit=${var.git_commit}",
  ]
}

# A qcow2 built by booting a base disk: by default one tools/vm-base-disk
# made from Debian's archive (make qemu-image), or a cloud image by URL and
# checksum. The seed (qemu_cd_files, a CD labelled cidata) gives cloud-init's
# default user the key Packer logs in with. Packer 1.6 has no firmware
# option: UEFI firmware (a base disk from tools/vm-base-disk boots only UEFI)
# is given to QEMU as -bios.
source "qemu" "dsvm" {
  iso_url              = var.qemu_iso_url
  iso_checksum         = var.qemu_iso_checksum
  disk_image           = true
  disk_size            = var.qemu_disk_size
  format               = "qcow2"
  accelerator          = var.qemu_accelerator
  qemuargs             = concat(var.qemu_firmware != "" ? [["-bios", var.qemu_firmware]] : [], [["-cpu", var.qemu_accelerator == "kvm" ? "host" : "max"]])
  headless             = true
  memory               = var.qemu_memory
  cpus                 = var.qemu_cpus
  cd_files             = var.qemu_cd_files
  cd_label             = "cidata"
  ssh_username         = var.ssh_username
  ssh_private_key_file = var.ssh_private_key_file
  ssh_timeout          = "30m"
  output_directory     = var.qemu_output_directory != "" ? var.qemu_output_directory : "output-qemu-${var.variant}"
  vm_name              = "${local.image_label}.qcow2"
  # The last step of deprovisioning: the build's login user, its keys, its
  # sudoers drop-in and the copy of its key cloud-init put in root's
  # authorized_keys (disable_root) go; cloud-init makes the cloud's at first boot.
  shutdown_command = "sudo sh -c 'userdel -f -r ${var.ssh_username}; rm -f /etc/sudoers.d/90-cloud-init-users /root/.ssh/authorized_keys; shutdown -P now'"
  shutdown_timeout = "15m"
}

source "azure-arm" "dsvm" {
  subscription_id                   = var.azure_subscription_id
  use_azure_cli_auth                = true
  managed_image_resource_group_name = var.azure_resource_group
  managed_image_name                = local.image_label
  os_type                           = "Linux"
  image_publisher                   = "Debian"
  image_offer                       = "debian-12"
  image_sku                         = "12-gen2"
  location                          = var.azure_location
  vm_size                           = var.azure_vm_size
  ssh_username                      = var.ssh_username
  azure_tags = {
    dsvm_variant = var.variant
    dsvm_version = var.image_version
  }
}

source "amazon-ebs" "dsvm" {
  region        = var.aws_region
  instance_type = var.aws_instance_type
  ami_name      = local.image_label
  ssh_username  = "admin"
  source_ami_filter {
    filters = {
      name                = "debian-12-amd64-*"
      architecture        = "x86_64"
      virtualization-type = "hvm"
    }
    owners      = [var.aws_source_ami_owner]
    most_recent = true
  }
  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = 60
    volume_type           = "gp3"
    iops                  = 3000
    throughput            = 125
    delete_on_termination = true
  }
  tags = {
    dsvm_variant = var.variant
    dsvm_version = var.image_version
  }
}

source "googlecompute" "dsvm" {
  project_id          = var.gcp_project_id
  zone                = var.gcp_zone
  machine_type        = var.gcp_machine_type
  source_image_family = "debian-12"
  image_name          = local.image_label
  image_family        = "${var.image_name}-${var.variant}"
  disk_size           = 60
  ssh_username        = var.ssh_username
  image_labels = {
    dsvm_variant = var.variant
  }
}
