# Azure managed image; authenticates with `az login` (use_azure_cli_auth).
azure_subscription_id = "00000000-0000-0000-0000-000000000000"
azure_resource_group  = "dsvm-images"
azure_location        = "westeurope"
ssh_username          = "dsvmbuild"
