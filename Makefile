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
TIMED := tools/timed

.PHONY: help venv docker base-images lint unit molecule molecule-roles molecule-cpu molecule-gpu lock \
        image packer-validate collection test clean

help:
	@sed -n 's/^#   //p' Makefile
	@echo "Other targets: venv docker base-images lint unit molecule image packer-validate collection clean"

# Python tools, pinned in pyproject.toml; rebuilt when it changes.
$(BIN)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check 'pip==25.3'
	$(BIN)/python -m pip install -q --disable-pip-version-check --group dev
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
	$(MAKE) --no-print-directory packer-validate

packer-validate:
	tools/packer-validate.sh

unit: venv base-images
	pytest tests/unit

# Each role's own scenario (roles/<role>/molecule/default), on every distro.
ROLES ?= $(patsubst roles/%/molecule/default/molecule.yml,%,$(wildcard roles/*/molecule/default/molecule.yml))
# The role scenarios `make test` runs: those that test values the whole-image
# scenarios do not. python_envs' and jupyterhub's scenarios converge a subset of
# molecule/cpu (same roles, same suite, both distros), so they run on demand.
CI_ROLES ?= base
molecule-roles: venv base-images
	for r in $(ROLES); do for d in $(DISTROS); do \
	  (cd roles/$$r && DSVM_ROLE=$$r MOLECULE_DISTRO=$$d molecule test) || exit 1; \
	done; done
molecule-cpu: venv base-images
	for d in $(DISTROS); do MOLECULE_DISTRO=$$d molecule test -s cpu || exit 1; done
# The gpu variant's system layer (driver, CUDA, container runtime) in containers.
# `make test` runs it on CI_GPU_DISTROS, in the lane beside molecule/cpu: a
# cold converge compiles the driver's DKMS module and unpacks 1.6 GB of CUDA
# toolkit, about 18 min a distro here (see the README).
GPU_DISTROS ?= $(DISTROS)
CI_GPU_DISTROS ?= $(DISTROS)
molecule-gpu: venv base-images
	for d in $(GPU_DISTROS); do DSVM_ROLE=gpu MOLECULE_DISTRO=$$d MOLECULE_VARIANT=gpu molecule test -s gpu || exit 1; done
molecule: molecule-roles molecule-cpu molecule-gpu

# Packer (docker source): site.yml, the acceptance suite, cleanup, commit, tag.
# IMAGE_VARS: more Ansible variable files for site.yml (space-separated).
# ACCEPTANCE_MARKERS: the suite's -m expression inside the build (default: packer/).
IMAGE_VARS ?=
ACCEPTANCE_MARKERS ?=
image: venv base-images
	DSVM_ANSIBLE_VARS_EXTRA="$(IMAGE_VARS)" DSVM_ACCEPTANCE_MARKERS="$(ACCEPTANCE_MARKERS)" \
	  tools/packer-build.sh $(VARIANT) $(DISTRO)

collection: venv
	tools/check-collection.sh

# Lock files of the Python environments (roles/python_envs/files/locks).
# LOCK_ARGS, e.g. "--find-links /opt/wheels --drop-extra-index --env pytorch".
lock: venv
	$(BIN)/python tools/lock_envs.py $(LOCK_ARGS)

test: venv
	$(TIMED) base-images $(MAKE) --no-print-directory base-images
	$(TIMED) lint $(MAKE) --no-print-directory lint
	$(TIMED) collection $(MAKE) --no-print-directory collection
	tools/lanes \
	  '$(TIMED) molecule-cpu $(MAKE) --no-print-directory molecule-cpu' \
	  '$(TIMED) molecule-gpu $(MAKE) --no-print-directory molecule-gpu GPU_DISTROS="$(CI_GPU_DISTROS)"; \
	   $(TIMED) image $(MAKE) --no-print-directory image IMAGE_VARS=tests/ci/image-lean.yml \
	     ACCEPTANCE_MARKERS="not gpu and not gpu_build and not capture and not conda and not r and not code_server"' \
	  '$(TIMED) unit $(MAKE) --no-print-directory unit; \
	   $(TIMED) molecule-roles $(MAKE) --no-print-directory molecule-roles ROLES="$(CI_ROLES)"'

clean:
	rm -rf $(VENV) .collections .ansible build packer-manifest.json
