# AMI from Debian's official AMI; credentials from the usual AWS environment.
aws_region        = "eu-west-1"
aws_instance_type = "m6i.xlarge"
