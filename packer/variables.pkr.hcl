# Variables of every source. cpu.pkrvars.hcl / gpu.pkrvars.hcl pick the
# variant; examples/*.pkrvars.hcl show each cloud.

variable "variant" {
  type        = string
  default     = "cpu"
  description = "Image variant: cpu or gpu. Explicit, never guessed from the build machine."
  validation {
    condition     = contains(["cpu", "gpu"], var.variant)
    error_message = "The variant variable must be \"cpu\" or \"gpu\"."
  }
}

variable "image_name" {
  type        = string
  default     = "dsvm"
  description = "Name of the image (docker repository, VM image, cloud image prefix)."
}

variable "image_version" {
  type        = string
  default     = "dev"
  description = "Version recorded in the image manifest and its tags."
}

variable "git_commit" {
  type        = string
  default     = "unknown"
  description = "Commit of this repository the image was built from (manifest custom_data)."
}

variable "build_id" {
  type        = string
  default     = ""
  description = "Unique id of this build (docker source: part of the build container's name); empty: a random one."
}

variable "extra_ca_files" {
  type        = list(string)
  default     = []
  description = "PEM files on the build machine added to the image's trust store (base_ca_certificates)."
}

variable "build_ca_files" {
  type        = list(string)
  default     = []
  description = "PEM files on the build machine trusted during the build only (base_build_ca_certificates; removed before capture): a TLS-inspecting proxy's CA, the build host's bundle."
}

variable "ansible_vars_files" {
  type        = list(string)
  default     = []
  description = "YAML files of Ansible variables for playbooks/site.yml (-e @FILE), for nested values."
}

variable "ansible_extra_vars" {
  type        = map(string)
  default     = {}
  description = "More Ansible variables for playbooks/site.yml (string values)."
}

variable "run_acceptance_tests" {
  type        = bool
  default     = true
  description = "Run the acceptance suite against the machine before cleanup and capture."
}

variable "idempotent_pass" {
  type        = bool
  default     = false
  description = "Run site.yml a second time and fail the build if any task changes (make image IDEMPOTENT=1; CI sets it)."
}

variable "manifest_path" {
  type        = string
  default     = ""
  description = "Where the manifest post-processor writes (default: build/packer-manifest.json in the repository)."
}

variable "acceptance_pytest" {
  type        = string
  default     = "pytest"
  description = "pytest with pytest-testinfra on the build machine (make image passes .venv/bin/pytest)."
}

variable "acceptance_markers" {
  type        = string
  default     = "not gpu and not capture"
  description = "pytest -m expression for the suite run before cleanup: gpu checks need a GPU, capture checks run after cleanup; tests of components the image lacks skip themselves (from its manifest)."
}

variable "acceptance_args" {
  type        = list(string)
  default     = []
  description = "More pytest arguments for the acceptance suite (e.g. --dsvm-tls-url=...)."
}

# --- docker source -------------------------------------------------------
variable "docker_base_image" {
  type        = string
  default     = "dsvm-base:debian12"
  description = "Local systemd base image (tools/build-base-image.sh) the docker source starts from."
}

variable "docker_repository" {
  type        = string
  default     = "dsvm-image"
  description = "Repository the committed docker image is tagged into (tag: VARIANT-DISTRO and VARIANT)."
}

variable "docker_mounts" {
  type        = list(string)
  default     = []
  description = "Bind mounts (HOST:CONTAINER[:ro]) for the build container only, e.g. uv's cache; not committed."
}

variable "docker_distro" {
  type        = string
  default     = "debian12"
  description = "Distribution label of the docker base image, used in the tag."
}

# --- qemu source ---------------------------------------------------------
variable "qemu_iso_url" {
  type        = string
  default     = "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2"
  description = "Cloud image (qcow2) the qemu source boots; disk_image mode."
}

variable "qemu_iso_checksum" {
  type        = string
  default     = "file:https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS"
  description = "Checksum of qemu_iso_url (sha256:..., sha512:... or file:URL)."
}

variable "qemu_accelerator" {
  type        = string
  default     = "kvm"
  description = "kvm where /dev/kvm exists, tcg (slow software emulation) elsewhere."
}

variable "qemu_firmware" {
  type        = string
  default     = "/usr/share/ovmf/OVMF.fd"
  description = "UEFI firmware QEMU boots with (-bios; Debian's ovmf package); empty: QEMU's BIOS."
}

variable "qemu_memory" {
  type        = number
  default     = 4096
  description = "Memory of the build VM (MiB)."
}

variable "qemu_cpus" {
  type        = number
  default     = 2
  description = "CPUs of the build VM."
}

variable "qemu_output_directory" {
  type        = string
  default     = ""
  description = "Where Packer writes the qcow2 (must not exist); empty: output-qemu-VARIANT."
}

variable "qemu_disk_size" {
  type        = string
  default     = "40G"
  description = "Disk size of the VM image."
}

variable "ssh_username" {
  type        = string
  default     = "debian"
  description = "User the SSH communicator logs in as (cloud-init default user of the base image)."
}

variable "ssh_private_key_file" {
  type        = string
  default     = ""
  description = "Private key for the qemu source's SSH login; its public key must be in the seed (cloud-init)."
}

variable "qemu_cd_files" {
  type        = list(string)
  default     = []
  description = "cloud-init seed files (user-data, meta-data) put on a CD labelled cidata."
}

# --- azure-arm source ----------------------------------------------------
variable "azure_subscription_id" {
  type        = string
  default     = ""
  description = "Azure subscription for the azure-arm source."
}

variable "azure_resource_group" {
  type        = string
  default     = ""
  description = "Resource group the managed image is written to."
}

variable "azure_location" {
  type        = string
  default     = "westeurope"
  description = "Azure region of the build VM."
}

variable "azure_vm_size" {
  type        = string
  default     = "Standard_D4s_v5"
  description = "Build VM size (a GPU size is not needed for the gpu variant)."
}

# --- amazon-ebs source ---------------------------------------------------
variable "aws_region" {
  type        = string
  default     = "eu-west-1"
  description = "AWS region of the build instance and the AMI."
}

variable "aws_instance_type" {
  type        = string
  default     = "m6i.xlarge"
  description = "Build instance type."
}

variable "aws_source_ami_owner" {
  type        = string
  default     = "136693071363"
  description = "Owner of the source AMI (Debian's official account)."
}

# --- googlecompute source ------------------------------------------------
variable "gcp_project_id" {
  type        = string
  default     = ""
  description = "GCP project of the build VM and the image."
}

variable "gcp_zone" {
  type        = string
  default     = "europe-west1-b"
  description = "Zone of the build VM."
}

variable "gcp_machine_type" {
  type        = string
  default     = "n2-standard-4"
  description = "Build VM machine type."
}
