variant = "gpu"
