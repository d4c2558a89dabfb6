# dsvm-image: the README's commands.
#   make image   build the CPU image with Packer (docker source) and test it
#   make test    everything CI runs (.ci/run calls it)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
DISTROS  ?= debian12 debian13
DISTRO   ?= debian12
VARIANT  ?= cpu
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Molecule writes an ansible.cfg of its own; this keeps dsvm.image resolving to
# the working tree there too.
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections:$(HOME)/.ansible/collections:/usr/share/ansible/collections
export DSVM_HOST_CA_BUNDLE := $(CA_BUNDLE)
# Molecule writes its state under ~/.ansible; keep it out of the way of users.
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/.ansible/tmp
# Docker API calls of community.docker (Molecule's create and destroy): removing
# a container of several GB takes minutes on a busy disk; the default is 60 s.
export DOCKER_TIMEOUT := 900
# The Ansible variables of machines like CI's (host CA bundle, unreachable
# vendor repositories), one file read by Molecule and by CI's Packer build.
export DSVM_CI_VARS := $(CURDIR)/tests/ci/ansible-vars.yml
# One id per `make` run: names of its containers, images and files, so that two
# runs (or a run and a `make image`) on one machine never touch each other's.
RUN_ID := $(shell date +%Y%m%d%H%M%S)-$(shell echo $$PPID)
export DSVM_RUN_ID ?= $(RUN_ID)
TIMED := tools/timed

.PHONY: help venv docker base-images lint unit molecule molecule-roles molecule-cpu molecule-gpu lock \
        image ci-image ci-vm ci-qemu qemu-image vm-host-tools vm-image vm-test packer-validate collection test clean

help:
	@sed -n 's/^#   //p' Makefile
	@echo "Other targets: venv docker base-images lint unit molecule image packer-validate collection clean"

# Python tools, pinned in pyproject.toml; rebuilt when it changes. uv installs
# them (parallel downloads, a shared cache): 22 s fresh and 16 to 19 s warm here,
# against pip's 98 s and 51 s.
$(BIN)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check 'pip==25.3' 'uv==0.9.30'
	$(BIN)/uv pip install -q --python $(BIN)/python --group dev
	mkdir -p .collections/ansible_collections/dsvm
	ln -sfn ../../.. .collections/ansible_collections/dsvm/image
	touch $@
venv: $(BIN)/.stamp

# docker.io, debootstrap and packer from Debian if missing; dockerd started.
docker:
	tools/ensure-host.sh

# systemd base images from Debian's archive, rebuilt only when their recipe changes.
base-images: docker
	tools/build-base-image.sh $(DISTROS)

lint: venv
	yamllint --strict .
	ansible-lint
	ruff check .
	ruff format --check .
	packer fmt -check -diff packer
	$(BIN)/python tools/check_argument_specs.py roles
	$(BIN)/python tools/lock_envs.py --check
	$(MAKE) --no-print-directory packer-validate

packer-validate:
	tools/packer-validate.sh

unit: venv base-images
	pytest tests/unit

# Each role's own scenario (roles/<role>/molecule/default), on every distro.
# On demand: the whole-image scenarios and the Packer build converge the same
# roles (see the README's Development section).
ROLES ?= $(patsubst roles/%/molecule/default/molecule.yml,%,$(wildcard roles/*/molecule/default/molecule.yml))
molecule-roles: venv base-images
	for r in $(ROLES); do for d in $(DISTROS); do \
	  (cd roles/$$r && DSVM_ROLE=$$r MOLECULE_DISTRO=$$d molecule test) || exit 1; \
	done; done
# The whole CPU image (site.yml), idempotence, the full suite, cleanup and the
# capture checks.
molecule-cpu: venv base-images
	for d in $(DISTROS); do MOLECULE_DISTRO=$$d molecule test -s cpu || exit 1; done
# The gpu variant's system layer (driver, CUDA, container runtime) in containers,
# with the base role's non-default values: a cold converge compiles the driver's
# DKMS module and unpacks the CUDA toolkit. tools/molecule-layered starts from
# the layer a passing run converged from the same inputs (hashed), if any;
# DSVM_LAYER_CACHE=0 forces a cold converge.
GPU_DISTROS ?= $(DISTROS)
molecule-gpu: venv base-images
	for d in $(GPU_DISTROS); do DSVM_ROLE=gpu MOLECULE_VARIANT=gpu tools/molecule-layered gpu $$d || exit 1; done
molecule: molecule-roles molecule-cpu molecule-gpu

# Packer (docker source): site.yml, the acceptance suite, cleanup, capture
# checks, commit, tag, manifest.
#   IMAGE_VARS        more Ansible variable files for site.yml (space-separated)
#   IDEMPOTENT=1      run site.yml a second time and fail on any change
#   IMAGE_REPOSITORY  repository of the tags (default dsvm-image)
#   BUILD_ID          unique id of the build (default: time and PID)
#   ACCEPTANCE_MARKERS  the suite's -m expression inside the build
IMAGE_VARS ?=
IDEMPOTENT ?=
IMAGE_REPOSITORY ?= dsvm-image
BUILD_ID ?=
ACCEPTANCE_MARKERS ?=
image: venv base-images
	DSVM_ANSIBLE_VARS_EXTRA="$(IMAGE_VARS)" DSVM_ACCEPTANCE_MARKERS="$(ACCEPTANCE_MARKERS)" \
	DSVM_IDEMPOTENT_PASS=$(if $(IDEMPOTENT),true,false) DSVM_IMAGE_REPOSITORY="$(IMAGE_REPOSITORY)" \
	$(if $(BUILD_ID),DSVM_BUILD_ID="$(BUILD_ID)") \
	  tools/packer-build.sh $(VARIANT) $(DISTRO)

# CI's whole-image test of one distro is a Packer build: site.yml, its
# idempotent pass, the full suite, cleanup, the capture checks, commit, tag and
# manifest; the image goes when it has been checked.
CI_IMAGE_DISTRO ?= debian12
ci-image: venv base-images
	DSVM_MANIFEST=$(CURDIR)/build/ci-$(DSVM_RUN_ID)/packer-manifest.json \
	  $(MAKE) --no-print-directory image DISTRO=$(CI_IMAGE_DISTRO) IMAGE_VARS="$(DSVM_CI_VARS)" IDEMPOTENT=1 \
	  IMAGE_REPOSITORY=dsvm-ci-$(DSVM_RUN_ID) BUILD_ID=ci-$(DSVM_RUN_ID)
	[[ -n "$(KEEP_CI_IMAGE)" ]] || \
	  docker rmi dsvm-ci-$(DSVM_RUN_ID):$(VARIANT)-$(CI_IMAGE_DISTRO) dsvm-ci-$(DSVM_RUN_ID):$(VARIANT) >/dev/null

# The VM image (qcow2, UEFI) of a container image `make image` built and
# tested: tools/vm-image (vm_guest role, cleanup, capture checks, tools/vm-disk).
#   VM_SOURCE   the container image (default: dsvm-image:$(VARIANT)-$(DISTRO))
#   VM_DISK     the qcow2 to write (default: build/dsvm-$(VARIANT)-$(DISTRO).qcow2)
#   VM_SIZE     its virtual size, e.g. 64G (default: the tree plus a third plus 2 GiB)
# `make vm-test` boots it fresh with a NoCloud seed and runs tests/vm.
VM_SOURCE ?= dsvm-image:$(VARIANT)-$(DISTRO)
VM_DISK   ?= build/dsvm-$(VARIANT)-$(DISTRO).qcow2
VM_SIZE   ?= auto
vm-host-tools:
	tools/ensure-host.sh
vm-image: venv vm-host-tools
	mkdir -p $(dir $(VM_DISK))
	tools/vm-image $(VM_SOURCE) $(VM_DISK) $(VM_SIZE)
vm-test: venv vm-host-tools
	tools/vm-test $(VM_DISK)

# A VM image built by Packer's qemu source (tools/packer-qemu-build.sh): QEMU
# boots a base disk made from Debian's archive (tools/vm-base-disk, rebuilt
# only when its recipe changes) or DSVM_QEMU_BASE_URL's cloud image, and
# site.yml, the suite, vm.yml and the capture checks run over SSH. KVM where
# usable, TCG otherwise (DSVM_VM_ACCEL overrides).
QEMU_DISK ?= build/dsvm-$(VARIANT)-$(DISTRO)-qemu.qcow2
qemu-image: venv base-images vm-host-tools
	mkdir -p $(dir $(QEMU_DISK))
	DSVM_ANSIBLE_VARS_EXTRA="$(IMAGE_VARS)" DSVM_ACCEPTANCE_MARKERS="$(ACCEPTANCE_MARKERS)" \
	  tools/packer-qemu-build.sh $(VARIANT) $(DISTRO) $(QEMU_DISK)

# CI's proof of the qemu source: the base role only (tests/ci/qemu-small.yml)
# on Debian 13 under TCG, then booted fresh with the first-boot suite.
CI_QEMU_DIR := build/ci-qemu-$(DSVM_RUN_ID)
ci-qemu: venv base-images vm-host-tools
	mkdir -p $(CI_QEMU_DIR)
	DSVM_ANSIBLE_VARS_EXTRA=tests/ci/qemu-small.yml DSVM_ACCEPTANCE_MARKERS=base \
	  DSVM_QEMU_DISK_SIZE=8G DSVM_BUILD_ID=ci-qemu-$(DSVM_RUN_ID) \
	  tools/packer-qemu-build.sh $(VARIANT) $(CI_VM_DISTRO) $(CI_QEMU_DIR)/dsvm.qcow2
	tools/vm-test $(CI_QEMU_DIR)/dsvm.qcow2
	[[ -n "$(KEEP_CI_IMAGE)" ]] || rm -f $(CI_QEMU_DIR)/dsvm.qcow2

# CI's VM stage: a small image (tests/ci/vm-small.yml: base, the default
# environment, the hub) built and tested by Packer like `make image`, made a
# qcow2 by tools/vm-image (vm_guest, cleanup, capture checks) and booted fresh
# by tools/vm-test (the first-boot suite, hub login included); the images and
# the disk go when they have been checked. CI_VM_DISTRO picks the distribution.
# The hub gets a supplied certificate and key (made here, for this run): the
# capture checks prove the key is not in the image, the first boot that the
# machine, given no key, makes its own pair naming itself (keeping the image's
# certificate aside), and a second boot whose seed delivers the key with
# cloud-init's write_files (DSVM_VM_TLS_KEY) that the hub serves the image's
# certificate with it.
# CI_VM_MARKERS: the in-build suite's selection (the whole suite runs on the
# same roles in the Packer and molecule/cpu lanes).
CI_VM_DISTRO ?= debian13
CI_VM_MARKERS ?= base
CI_VM_DIR := build/ci-vm-$(DSVM_RUN_ID)
ci-vm: venv base-images vm-host-tools
	mkdir -p $(CI_VM_DIR)/tls
	openssl req -x509 -newkey rsa:2048 -sha256 -days 2 -nodes -subj /CN=supplied.dsvm.invalid \
	  -keyout $(CI_VM_DIR)/tls/key.pem -out $(CI_VM_DIR)/tls/cert.pem 2>/dev/null
	printf 'jupyterhub_tls_cert_src: %s\njupyterhub_tls_key_src: %s\n' \
	  $(CURDIR)/$(CI_VM_DIR)/tls/cert.pem $(CURDIR)/$(CI_VM_DIR)/tls/key.pem >$(CI_VM_DIR)/tls.yml
	DSVM_MANIFEST=$(CURDIR)/$(CI_VM_DIR)/packer-manifest.json \
	  $(MAKE) --no-print-directory image DISTRO=$(CI_VM_DISTRO) \
	  IMAGE_VARS="$(DSVM_CI_VARS) tests/ci/vm-small.yml $(CI_VM_DIR)/tls.yml" ACCEPTANCE_MARKERS="$(CI_VM_MARKERS)" \
	  IMAGE_REPOSITORY=dsvm-ci-vm-$(DSVM_RUN_ID) BUILD_ID=ci-vm-$(DSVM_RUN_ID)
	tools/vm-image dsvm-ci-vm-$(DSVM_RUN_ID):$(VARIANT)-$(CI_VM_DISTRO) $(CI_VM_DIR)/dsvm.qcow2
	docker rmi dsvm-ci-vm-$(DSVM_RUN_ID):$(VARIANT)-$(CI_VM_DISTRO) dsvm-ci-vm-$(DSVM_RUN_ID):$(VARIANT) >/dev/null
	tools/vm-test $(CI_VM_DIR)/dsvm.qcow2
	DSVM_VM_TLS_KEY=$(CI_VM_DIR)/tls/key.pem DSVM_VM_REPORT=$(CI_VM_DIR)/dsvm.tls-key.first-boot.json \
	  tools/vm-test $(CI_VM_DIR)/dsvm.qcow2
	[[ -n "$(KEEP_CI_IMAGE)" ]] || rm -f $(CI_VM_DIR)/dsvm.qcow2

collection: venv
	tools/check-collection.sh

# Lock files of the Python environments (roles/python_envs/files/locks).
# LOCK_ARGS, e.g. "--find-links /opt/wheels --drop-extra-index --env pytorch".
lock: venv
	$(BIN)/python tools/lock_envs.py $(LOCK_ARGS)

# Everything CI runs: seven jobs in three lanes (tools/lanes -j 3), each
# converging different content once: the whole CPU image on Debian 12 through
# Packer | the whole CPU image on Debian 13 through Molecule | the gpu system
# layer on Debian 13, then on Debian 12 | lint, collection and unit tests | a
# small Debian 13 image made a VM and booted under QEMU (ci-vm) | the base
# role built in a VM by Packer's qemu source and booted (ci-qemu; its boot
# under TCG panicked once in CI's run of 166a02c, a kernel oops in
# sched_clock_cpu under emulation before userspace, so tools/vm-test now
# stops a boot at a panic and, under TCG, boots once more). A lane
# takes the next job when it is free: on a fresh machine the two cold gpu
# scenarios share one lane; when both start from cached layers
# (tools/molecule-layered) that lane runs lint and unit tests as well.
# (Four lanes, one per converge, took 2608 s warm, between two three-lane
# runs of 2177 s and 2763 s: no gain within this machine's variance.)
# KEEP_CI_IMAGE=1 keeps the Packer build's image (e.g. for
# bench/suite-under-load.sh).
test: venv
	$(TIMED) base-images $(MAKE) --no-print-directory base-images
	tools/lanes -j 3 \
	  '$(TIMED) ci-image $(MAKE) --no-print-directory ci-image' \
	  '$(TIMED) molecule-cpu $(MAKE) --no-print-directory molecule-cpu DISTROS=debian13' \
	  '$(TIMED) molecule-gpu-debian13 $(MAKE) --no-print-directory molecule-gpu GPU_DISTROS=debian13' \
	  '$(TIMED) molecule-gpu-debian12 $(MAKE) --no-print-directory molecule-gpu GPU_DISTROS=debian12' \
	  '$(TIMED) lint $(MAKE) --no-print-directory lint; \
	   $(TIMED) collection $(MAKE) --no-print-directory collection; \
	   $(TIMED) unit $(MAKE) --no-print-directory unit' \
	  '$(TIMED) ci-vm $(MAKE) --no-print-directory ci-vm' \
	  '$(TIMED) ci-qemu $(MAKE) --no-print-directory ci-qemu'

clean:
	rm -rf $(VENV) .collections .ansible build packer-manifest.json
