locals {
  repo_root = "${path.root}/.."
  ansible_vars = merge(var.ansible_extra_vars, {
    dsvm_variant         = var.variant
    dsvm_image_name      = var.image_name
    dsvm_image_version   = var.image_version
    base_ca_certificates = [for f in var.extra_ca_files : { name = replace(basename(f), ".", "-"), src = f }]
    # Trusted during the build only: playbooks/cleanup.yml removes them.
    base_build_ca_certificates = [for f in var.build_ca_files : { name = replace(basename(f), ".", "-"), src = f }]
  })
  # Packer 1.6's SSH proxy offers ssh-rsa host keys only.
  ansible_env = [
    "ANSIBLE_CONFIG=${local.repo_root}/ansible.cfg",
    "ANSIBLE_SSH_ARGS=-o HostKeyAlgorithms=+ssh-rsa -o PubkeyAcceptedKeyTypes=+ssh-rsa -o ControlMaster=auto -o ControlPersist=60s",
    # Time per role and the slowest tasks, after each recap: tools/build-report reads them.
    "ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_roles,ansible.posix.profile_tasks",
    "PROFILE_TASKS_SUMMARY_ONLY=true",
    "PROFILE_TASKS_TASK_OUTPUT_LIMIT=25",
  ]
  # The docker source is reached through the docker connection, given in the
  # inventory (not as extra vars, which would also apply to localhost and send
  # sbom.yml's controller tasks into the container).
  docker_inventory = "{{ .HostAlias }} ansible_connection=community.docker.docker ansible_host=${local.container_name} ansible_user=root\n"
  pytest           = "${var.acceptance_pytest} ${local.repo_root}/tests/acceptance -p no:cacheprovider"
  ssh_suite        = "DSVM_PYTEST=${var.acceptance_pytest} ${local.repo_root}/tools/build-ssh-suite"
  # The key the SSH sources log in with: the qemu source's file, or Packer's
  # temporary key (the clouds; build.SSHPrivateKey, given in each step: locals
  # cannot read build). One control socket per build.
  ssh_suite_env = [
    "DSVM_BUILD_SSH_KEY_FILE=${var.ssh_private_key_file}",
    "DSVM_BUILD_SSH_DIR=/tmp/dsvm-build-ssh-${local.build_id}",
  ]
  ansible_vars_args = flatten([for f in var.ansible_vars_files : ["--extra-vars", "@${f}"]])
  manifest_out      = var.manifest_path != "" ? var.manifest_path : "${local.repo_root}/build/packer-manifest.json"
  # cleanup.yml writes the image's SBOM (sbom.yml) and keeps a copy here.
  sbom_vars = ["--extra-vars", jsonencode({ dsvm_sbom_dir = dirname(local.manifest_out) })]
}

build {
  sources = [
    "source.docker.dsvm",
    "source.qemu.dsvm",
    "source.azure-arm.dsvm",
    "source.amazon-ebs.dsvm",
    "source.googlecompute.dsvm",
  ]

  # 1. The image: playbooks/site.yml. The docker source is reached through the
  # docker connection, the others through Packer's SSH proxy.
  provisioner "ansible" {
    only                    = ["docker.dsvm"]
    playbook_file           = "${local.repo_root}/playbooks/site.yml"
    user                    = "root"
    ansible_env_vars        = local.ansible_env
    inventory_file_template = local.docker_inventory
    extra_arguments         = concat(local.ansible_vars_args, ["--extra-vars", jsonencode(local.ansible_vars)])
  }

  provisioner "ansible" {
    except           = ["docker.dsvm"]
    playbook_file    = "${local.repo_root}/playbooks/site.yml"
    user             = var.ssh_username
    ansible_env_vars = local.ansible_env
    extra_arguments  = concat(["--become"], local.ansible_vars_args, ["--extra-vars", jsonencode(local.ansible_vars)])
  }

  # 1b. The idempotent pass (idempotent_pass = true): site.yml again, through
  # tools/ansible-idempotent-pass, which fails the build if any task changed.
  provisioner "ansible" {
    only                    = ["docker.dsvm"]
    command                 = "${local.repo_root}/tools/ansible-idempotent-pass"
    playbook_file           = "${local.repo_root}/playbooks/site.yml"
    user                    = "root"
    ansible_env_vars        = concat(local.ansible_env, ["DSVM_IDEMPOTENT_PASS=${var.idempotent_pass}"])
    inventory_file_template = local.docker_inventory
    extra_arguments         = concat(local.ansible_vars_args, ["--extra-vars", jsonencode(local.ansible_vars)])
  }

  provisioner "ansible" {
    except           = ["docker.dsvm"]
    command          = "${local.repo_root}/tools/ansible-idempotent-pass"
    playbook_file    = "${local.repo_root}/playbooks/site.yml"
    user             = var.ssh_username
    ansible_env_vars = concat(local.ansible_env, ["DSVM_IDEMPOTENT_PASS=${var.idempotent_pass}"])
    extra_arguments  = concat(["--become"], local.ansible_vars_args, ["--extra-vars", jsonencode(local.ansible_vars)])
  }

  # 2. The acceptance suite, before anything is cleaned or captured.
  provisioner "shell-local" {
    only   = ["docker.dsvm"]
    inline = var.run_acceptance_tests ? ["${local.pytest} --hosts=docker://${local.container_name} -m '${var.acceptance_markers}' ${join(" ", var.acceptance_args)}"] : ["echo acceptance tests disabled"]
  }

  # Over SSH with the key Packer logs in with (the qemu source's file, or the
  # clouds' temporary key); tools/build-ssh-suite keeps that connection for
  # the capture checks below.
  provisioner "shell-local" {
    except           = ["docker.dsvm"]
    environment_vars = concat(local.ssh_suite_env, ["DSVM_BUILD_SSH_KEY=${build.SSHPrivateKey}"])
    inline           = var.run_acceptance_tests ? ["${local.ssh_suite} '${build.Host}' '${build.Port}' '${build.User}' -m '${var.acceptance_markers}' ${join(" ", var.acceptance_args)}"] : ["echo acceptance tests disabled"]
  }

  # 3. Deprovision, then check what capture needs.
  provisioner "ansible" {
    only                    = ["docker.dsvm"]
    playbook_file           = "${local.repo_root}/playbooks/cleanup.yml"
    user                    = "root"
    ansible_env_vars        = local.ansible_env
    inventory_file_template = local.docker_inventory
    extra_arguments         = local.sbom_vars
  }

  # The qemu source's VM: playbooks/vm.yml (roles/vm_guest with the image's
  # manifest, so the cloud's user joins the data-science group; then
  # cleanup.yml). The clouds' own images have their kernel and agents.
  provisioner "ansible" {
    only             = ["qemu.dsvm"]
    playbook_file    = "${local.repo_root}/playbooks/vm.yml"
    user             = var.ssh_username
    ansible_env_vars = local.ansible_env
    extra_arguments  = concat(["--become"], local.ansible_vars_args, local.sbom_vars)
  }

  provisioner "ansible" {
    except           = ["docker.dsvm", "qemu.dsvm"]
    playbook_file    = "${local.repo_root}/playbooks/cleanup.yml"
    user             = var.ssh_username
    ansible_env_vars = local.ansible_env
    extra_arguments  = concat(["--become"], local.sbom_vars)
  }

  provisioner "shell-local" {
    only   = ["docker.dsvm"]
    inline = var.run_acceptance_tests ? ["${local.pytest} --hosts=docker://${local.container_name} -m capture"] : ["echo acceptance tests disabled"]
  }

  # The build user itself goes in the source's shutdown command, after these.
  provisioner "shell-local" {
    except           = ["docker.dsvm"]
    environment_vars = concat(local.ssh_suite_env, ["DSVM_BUILD_SSH_KEY=${build.SSHPrivateKey}"])
    inline           = var.run_acceptance_tests ? ["${local.ssh_suite} '${build.Host}' '${build.Port}' '${build.User}' -m capture"] : ["echo acceptance tests disabled"]
  }

  post-processor "docker-tag" {
    only       = ["docker.dsvm"]
    repository = var.docker_repository
    tags       = ["${var.variant}-${var.docker_distro}", var.variant]
  }

  post-processor "manifest" {
    output     = local.manifest_out
    strip_path = true
    custom_data = {
      variant       = var.variant
      image_version = var.image_version
      git_commit    = var.git_commit
    }
  }
}
