# GCE image; credentials from Application Default Credentials.
gcp_project_id = "my-dsvm-project"
gcp_zone       = "europe-west1-b"
ssh_username   = "dsvmbuild"
